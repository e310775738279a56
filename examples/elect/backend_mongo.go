package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/mongo"
	driver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
)

func init() { backends["mongo"] = openMongoLease }

// openMongoLease opens a mongo.Lease named name in the database of the
// mongodb:// URI addr (mongo.DefaultLeaseDatabase when it names none),
// after checking that the primary answers.
func openMongoLease(ctx context.Context, addr, name string) (hakit.Lease, func() error, error) {
	u, err := url.Parse(addr)
	if err != nil || (u.Scheme != "mongodb" && u.Scheme != "mongodb+srv") {
		return nil, nil, fmt.Errorf("-addr %q is not a mongodb:// or mongodb+srv:// URI", addr)
	}
	opts := options.Client().ApplyURI(addr)
	if opts.ServerSelectionTimeout == nil {
		// Fail fast on a dead store, and let an operation on a set
		// without a primary fail within the renew deadline.
		opts.SetServerSelectionTimeout(2 * time.Second)
	}
	c, err := driver.Connect(opts)
	if err != nil {
		return nil, nil, err
	}
	disconnect := func() error { return c.Disconnect(context.Background()) }
	if err := c.Ping(ctx, readpref.Primary()); err != nil {
		_ = disconnect()
		return nil, nil, err
	}
	l, err := mongo.NewLease(mongo.LeaseConfig{Client: c, Database: strings.TrimPrefix(u.Path, "/"), Name: name})
	if err != nil {
		_ = disconnect()
		return nil, nil, err
	}
	return l, disconnect, nil
}
