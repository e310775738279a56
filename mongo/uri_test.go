package mongo_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hakit/hakit/mongo"
)

func TestReplicaSetName(t *testing.T) {
	tests := []struct {
		uri, name string
		err       error  // a sentinel the error wraps
		msg       string // what the error says
	}{
		{uri: "mongodb://a:27017,b:27017/?replicaSet=rs0", name: "rs0"},
		{uri: "mongodb://u:secret@a,b/db?w=majority&replicaSet=rs1&authSource=admin", name: "rs1"},
		{uri: "mongodb+srv://u:p@cluster.example.org/?replicaSet=atlas-x", name: "atlas-x"},
		{uri: "mongodb://127.0.0.1:27117/", err: mongo.ErrNoReplicaSet, msg: "no replicaSet= option"},
		{uri: "mongodb://u:secret@h/?directConnection=true", err: mongo.ErrNoReplicaSet, msg: "for h has no replicaSet"},
		{uri: "mongodb://h/?loadBalanced=true&replicaSet=rs0", err: mongo.ErrNoReplicaSet, msg: "loadBalanced"},
		{uri: "http://h/?replicaSet=rs0", msg: `scheme "http"`},
		{uri: "127.0.0.1:27017", msg: "no scheme"},
		{uri: "mongodb:///?replicaSet=rs0", msg: "no host"},
		{uri: "mongodb://h/?replicaSet=%zz", msg: "URI options"},
	}
	for _, tt := range tests {
		name, err := mongo.ReplicaSetName(tt.uri)
		switch {
		case tt.msg == "" && (err != nil || name != tt.name):
			t.Errorf("ReplicaSetName(%q) = %q, %v; want %q", tt.uri, name, err, tt.name)
		case tt.msg != "" && (err == nil || !strings.Contains(err.Error(), tt.msg)):
			t.Errorf("ReplicaSetName(%q): err = %v, want one saying %q", tt.uri, err, tt.msg)
		case tt.err != nil && !errors.Is(err, tt.err):
			t.Errorf("ReplicaSetName(%q): err = %v, want it to wrap %v", tt.uri, err, tt.err)
		case err != nil && strings.Contains(err.Error(), "secret"):
			t.Errorf("ReplicaSetName(%q): error %q repeats the password", tt.uri, err)
		}
	}
}
