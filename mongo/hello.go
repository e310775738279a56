package mongo

import (
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// OpTime is a position in the replication oplog: a timestamp and the
// election term it was written in.
type OpTime struct {
	TS bson.Timestamp `bson:"ts"`
	T  int64          `bson:"t"`
}

// LastWrite is hello's lastWrite document.
type LastWrite struct {
	OpTime            OpTime    `bson:"opTime"`
	LastWriteDate     time.Time `bson:"lastWriteDate"`
	MajorityOpTime    OpTime    `bson:"majorityOpTime"`
	MajorityWriteDate time.Time `bson:"majorityWriteDate"`
}

// Hello is the part of the hello command's reply that describes the
// replica set (MongoDB manual, "hello"). On a standalone server (and on
// FerretDB) SetName is empty.
type Hello struct {
	IsWritablePrimary bool              `bson:"isWritablePrimary"`
	Secondary         bool              `bson:"secondary"`
	ArbiterOnly       bool              `bson:"arbiterOnly"`
	SetName           string            `bson:"setName"`
	SetVersion        int64             `bson:"setVersion"`
	Hosts             []string          `bson:"hosts"`
	Passives          []string          `bson:"passives"`
	Arbiters          []string          `bson:"arbiters"`
	Primary           string            `bson:"primary"`
	Me                string            `bson:"me"`
	ElectionID        bson.ObjectID     `bson:"electionId"`
	LastWrite         LastWrite         `bson:"lastWrite"`
	Hidden            bool              `bson:"hidden"`
	Tags              map[string]string `bson:"tags"`
	MaxWireVersion    int32             `bson:"maxWireVersion"`
}

// helloWire is Hello as the server sends it: isWritablePrimary (since
// MongoDB 4.4.2, 5.0) or the legacy ismaster, and ok.
type helloWire struct {
	Hello    `bson:",inline"`
	IsMaster *bool   `bson:"ismaster"`
	OK       float64 `bson:"ok"`
	Code     int32   `bson:"code"`
	ErrMsg   string  `bson:"errmsg"`
	CodeName string  `bson:"codeName"`
}

// presence tells a missing isWritablePrimary from false.
type presence struct {
	IsWritablePrimary *bool `bson:"isWritablePrimary"`
}

// ParseError is returned for a server reply that does not have the
// documented shape; Field names the offending field.
type ParseError struct {
	Command string // "hello", "replSetGetStatus"
	Field   string
	Err     error
}

func (e *ParseError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("mongo: malformed %s reply: %v", e.Command, e.Err)
	}
	return fmt.Sprintf("mongo: malformed %s reply: field %s: %v", e.Command, e.Field, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// CommandError is a reply with ok: 0.
type CommandError struct {
	Command  string
	Code     int32
	CodeName string
	Message  string
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("mongo: %s failed: %s (%d %s)", e.Command, e.Message, e.Code, e.CodeName)
}

// ParseHello decodes a hello (or legacy isMaster) reply.
func ParseHello(raw []byte) (Hello, error) {
	var w helloWire
	var p presence
	if err := bson.Unmarshal(raw, &w); err != nil {
		return Hello{}, &ParseError{Command: "hello", Err: err}
	}
	if err := bson.Unmarshal(raw, &p); err != nil {
		return Hello{}, &ParseError{Command: "hello", Field: "isWritablePrimary", Err: err}
	}
	h := w.Hello
	if w.OK != 1 {
		return Hello{}, &CommandError{Command: "hello", Code: w.Code, CodeName: w.CodeName, Message: w.ErrMsg}
	}
	switch {
	case p.IsWritablePrimary == nil && w.IsMaster == nil:
		return Hello{}, &ParseError{Command: "hello", Field: "isWritablePrimary", Err: errors.New("missing (nor ismaster)")}
	case p.IsWritablePrimary == nil:
		h.IsWritablePrimary = *w.IsMaster
	}
	if h.SetName != "" {
		if h.Me == "" {
			return Hello{}, &ParseError{Command: "hello", Field: "me", Err: errors.New("missing in a replica-set member's reply")}
		}
		if h.IsWritablePrimary && h.Secondary {
			return Hello{}, &ParseError{Command: "hello", Field: "secondary", Err: errors.New("true on a writable primary")}
		}
		if h.IsWritablePrimary && h.Primary != h.Me {
			return Hello{}, &ParseError{Command: "hello", Field: "primary", Err: fmt.Errorf("%q on the writable primary %q", h.Primary, h.Me)}
		}
	}
	return h, nil
}
