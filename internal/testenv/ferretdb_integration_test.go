//go:build integration

package testenv_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/hakit/hakit/internal/testenv"
)

// TestFerretDBSmoke runs hello and ping, inserts a document and finds it
// with the MongoDB Go driver.
func TestFerretDBSmoke(t *testing.T) {
	uri := testenv.FerretDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	c, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Disconnect(context.Background()) }()

	var hello bson.M
	if err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}).Decode(&hello); err != nil {
		t.Fatalf("hello: %v", err)
	}
	if hello["isWritablePrimary"] != true {
		t.Fatalf("hello: isWritablePrimary = %v in %v", hello["isWritablePrimary"], hello)
	}
	if err := c.Ping(ctx, nil); err != nil {
		t.Fatalf("ping: %v", err)
	}

	db := c.Database("testenv_smoke")
	coll := db.Collection("c" + time.Now().Format("150405000000"))
	defer func() { _ = coll.Drop(context.Background()) }()
	want := time.Now().Format(time.RFC3339Nano)
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "smoke"}, {Key: "v", Value: want}}); err != nil {
		t.Fatalf("insert: %v", err)
	}
	var got struct {
		V string `bson:"v"`
	}
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: "smoke"}}).Decode(&got); err != nil {
		t.Fatalf("find: %v", err)
	}
	if got.V != want {
		t.Fatalf("found v=%q, want %q", got.V, want)
	}
}
