package mongo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/hakit/hakit"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readconcern"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
)

// Defaults of LeaseConfig.
const (
	DefaultLeaseDatabase   = "hakit"
	DefaultLeaseCollection = "leases"
)

// LeaseConfig configures a Lease.
type LeaseConfig struct {
	// Client is the connected driver client; required. The Lease never
	// disconnects it.
	Client *mongo.Client
	// Database holds the lease collection. Zero means "hakit".
	Database string
	// Collection holds one document per lease. Zero means "leases".
	Collection string
	// Name is the lease's _id in the collection; required.
	Name string
	// WriteConcern of Create and Update. Nil means w:"majority": a write
	// the server acknowledges survives any failover that keeps a majority
	// of voters (MongoDB manual, "Write Concern"). A weaker one lets an
	// acknowledged takeover roll back and a later holder reuse its token.
	WriteConcern *writeconcern.WriteConcern
	// ReadConcern of Get. Nil means "majority": Get returns only records
	// that no failover can roll back, so a candidate never builds on a
	// record that later vanishes.
	ReadConcern *readconcern.ReadConcern
}

// Lease is a hakit.Lease stored as a chain of version documents in one
// collection, {_id: {lease: Name, version: N}, lease, version, holder,
// token, acquired, renewed, duration, nonce, prev} (times and durations in
// Unix nanoseconds, token an int64), always read from and written to the
// primary. The record is the document with the highest version.
//
// Every write is an insert, and the unique _id index is the
// compare-and-set: Create inserts version 1, Update reads the latest
// version N, checks that it equals old and inserts version N+1 carrying
// N's nonce as prev. Of writers racing on the same old record exactly one
// insert succeeds; the others fail with a duplicate-key error (E11000),
// reported as hakit.ErrLeaseConflict. The winner then deletes the versions
// below N, so a lease keeps two documents at rest.
//
// A writer that read version N long ago could insert N+1 after N+1 was
// superseded and deleted. So after inserting it looks for a higher
// version: none means its insert is the record; one that names its nonce
// as prev built on it; any other makes its insert a stale copy that is
// never read (a higher version exists and is never deleted while it is the
// highest), answered with hakit.ErrLeaseConflict. When the immediate
// successor is already gone, or a read that judges the insert fails, the
// outcome cannot be told and the error wraps ErrOutcomeUnknown (an Elector
// retries). Create first looks for any version, so that creating a lease
// whose version 1 was deleted long ago is a conflict, not such a guess.
//
// It does not use findAndModify, because FerretDB 1.24 applies it as a
// find followed by an update by _id: under TestLease's concurrent
// compare-and-set most of the racing writers won. Nor does it use
// transactions, TTL indexes, pipeline updates or replica-set commands; it
// runs on a replica set, a standalone server and FerretDB alike. Tokens are
// stored as given (a new holder asking for no more than old's token gets
// old's plus one), and the latest version is never deleted, so they never
// repeat.
type Lease struct {
	cfg  LeaseConfig
	coll *mongo.Collection
}

var _ hakit.Lease = (*Lease)(nil)

// NewLease validates cfg and returns the Lease. It does no I/O.
func NewLease(cfg LeaseConfig) (*Lease, error) {
	if cfg.Client == nil {
		return nil, errors.New("mongo: LeaseConfig.Client is nil")
	}
	if cfg.Name == "" {
		return nil, errors.New("mongo: LeaseConfig.Name is empty")
	}
	if cfg.Database == "" {
		cfg.Database = DefaultLeaseDatabase
	}
	if cfg.Collection == "" {
		cfg.Collection = DefaultLeaseCollection
	}
	if cfg.WriteConcern == nil {
		cfg.WriteConcern = writeconcern.Majority()
	}
	if !cfg.WriteConcern.Acknowledged() {
		return nil, errors.New("mongo: LeaseConfig.WriteConcern is unacknowledged: a compare-and-set needs the server's answer")
	}
	if cfg.ReadConcern == nil {
		cfg.ReadConcern = readconcern.Majority()
	}
	coll := cfg.Client.Database(cfg.Database).Collection(cfg.Collection, options.Collection().
		SetWriteConcern(cfg.WriteConcern).
		SetReadConcern(cfg.ReadConcern).
		SetReadPreference(readpref.Primary()))
	return &Lease{cfg: cfg, coll: coll}, nil
}

// leaseID is the _id of one version document.
type leaseID struct {
	Lease   string `bson:"lease"`
	Version int64  `bson:"version"`
}

// leaseDoc is one stored version of the record.
type leaseDoc struct {
	ID       leaseID `bson:"_id"`
	Lease    string  `bson:"lease"`
	Version  int64   `bson:"version"`
	Holder   string  `bson:"holder"`
	Token    int64   `bson:"token"`
	Acquired int64   `bson:"acquired"`
	Renewed  int64   `bson:"renewed"`
	Duration int64   `bson:"duration"`
	// Nonce is random per write; Prev is the predecessor's Nonce.
	Nonce string `bson:"nonce"`
	Prev  string `bson:"prev"`
}

// unixNano writes t as Unix nanoseconds, the zero time as 0.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// record checks d and returns the record it holds.
func (d leaseDoc) record() (hakit.LeaseRecord, error) {
	switch {
	case d.Version < 1 || d.ID.Version != d.Version || d.ID.Lease != d.Lease:
		return hakit.LeaseRecord{}, fmt.Errorf("malformed record: _id %+v does not match lease %q version %d", d.ID, d.Lease, d.Version)
	case d.Token < 0:
		return hakit.LeaseRecord{}, fmt.Errorf("malformed record: token %d is negative", d.Token)
	case d.Duration < 0:
		return hakit.LeaseRecord{}, fmt.Errorf("malformed record: duration %d is negative", d.Duration)
	case d.Nonce == "":
		return hakit.LeaseRecord{}, errors.New("malformed record: nonce is empty")
	}
	return hakit.LeaseRecord{
		Holder:   d.Holder,
		Token:    uint64(d.Token),
		Acquired: fromUnixNano(d.Acquired),
		Renewed:  fromUnixNano(d.Renewed),
		Duration: time.Duration(d.Duration),
	}, nil
}

// doc returns r as version v of this lease, following prev.
func (l *Lease) doc(r hakit.LeaseRecord, v int64, prev string) leaseDoc {
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return leaseDoc{ID: leaseID{l.cfg.Name, v}, Lease: l.cfg.Name, Version: v,
		Holder: r.Holder, Token: int64(r.Token), Acquired: unixNano(r.Acquired),
		Renewed: unixNano(r.Renewed), Duration: int64(r.Duration),
		Nonce: hex.EncodeToString(b[:]), Prev: prev}
}

func checkRecord(r hakit.LeaseRecord) error {
	if r.Token > math.MaxInt64 {
		return fmt.Errorf("token %d exceeds %d, the largest BSON int64", r.Token, int64(math.MaxInt64))
	}
	if r.Duration < 0 {
		return fmt.Errorf("duration %v is negative", r.Duration)
	}
	return nil
}

func (l *Lease) errorf(op string, err error) error {
	if unavailable(err) {
		return fmt.Errorf("mongo: lease %q: %s: %w: %w", l.cfg.Name, op, ErrUnavailable, err)
	}
	return fmt.Errorf("mongo: lease %q: %s: %w", l.cfg.Name, op, err)
}

// Name returns the lease's name, the lease field of its documents.
func (l *Lease) Name() string { return l.cfg.Name }

// latest returns the highest version document, or mongo.ErrNoDocuments.
func (l *Lease) latest(ctx context.Context) (leaseDoc, error) {
	var d leaseDoc
	err := l.coll.FindOne(ctx, bson.D{{Key: "lease", Value: l.cfg.Name}},
		options.FindOne().SetSort(bson.D{{Key: "version", Value: -1}})).Decode(&d)
	return d, err
}

// Get implements hakit.Lease, reading with the configured read concern
// from the primary.
func (l *Lease) Get(ctx context.Context) (hakit.LeaseRecord, error) {
	d, err := l.latest(ctx)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return hakit.LeaseRecord{}, l.errorf("get", hakit.ErrNoLease)
	}
	if err != nil {
		return hakit.LeaseRecord{}, l.errorf("get", err)
	}
	r, err := d.record()
	if err != nil {
		return hakit.LeaseRecord{}, l.errorf("get", err)
	}
	return r, nil
}

// Create implements hakit.Lease by inserting version 1. The token is
// stored as given.
func (l *Lease) Create(ctx context.Context, r hakit.LeaseRecord) (hakit.LeaseRecord, error) {
	if err := checkRecord(r); err != nil {
		return hakit.LeaseRecord{}, l.errorf("create", err)
	}
	// Version 1 is deleted once the record reaches version 3; inserting
	// it again would succeed and then find no version 2 to be judged by.
	switch _, err := l.latest(ctx); {
	case err == nil:
		return hakit.LeaseRecord{}, l.errorf("create", hakit.ErrLeaseConflict)
	case !errors.Is(err, mongo.ErrNoDocuments):
		return hakit.LeaseRecord{}, l.errorf("create", err)
	}
	return l.insert(ctx, "create", l.doc(r, 1, ""))
}

// Update implements hakit.Lease: it reads the latest version, compares it
// with old and inserts the next version. A new holder asking for a token
// no larger than old's gets old's plus one; the token never goes down.
func (l *Lease) Update(ctx context.Context, old, r hakit.LeaseRecord) (hakit.LeaseRecord, error) {
	for _, rec := range []hakit.LeaseRecord{old, r} {
		if err := checkRecord(rec); err != nil {
			return hakit.LeaseRecord{}, l.errorf("update", err)
		}
	}
	cur, err := l.latest(ctx)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return hakit.LeaseRecord{}, l.errorf("update", hakit.ErrLeaseConflict)
	}
	if err != nil {
		return hakit.LeaseRecord{}, l.errorf("update", err)
	}
	stored, err := cur.record()
	if err != nil {
		return hakit.LeaseRecord{}, l.errorf("update", err)
	}
	if !sameRecord(stored, old) {
		return hakit.LeaseRecord{}, l.errorf("update", hakit.ErrLeaseConflict)
	}
	if cur.Version == math.MaxInt64 {
		return hakit.LeaseRecord{}, l.errorf("update", errors.New("version space exhausted"))
	}
	switch {
	case r.Token > stored.Token:
	case r.Holder != stored.Holder && r.Holder != "":
		if stored.Token == math.MaxInt64 {
			return hakit.LeaseRecord{}, l.errorf("update", errors.New("token space exhausted"))
		}
		r.Token = stored.Token + 1
	default:
		r.Token = stored.Token
	}
	return l.insert(ctx, "update", l.doc(r, cur.Version+1, cur.Nonce))
}

// sameRecord reports whether a and b are the same record to the
// nanosecond (as stored: no monotonic reading, any zone).
func sameRecord(a, b hakit.LeaseRecord) bool {
	return a.Holder == b.Holder && a.Token == b.Token && a.Duration == b.Duration &&
		unixNano(a.Acquired) == unixNano(b.Acquired) && unixNano(a.Renewed) == unixNano(b.Renewed)
}

// insert writes d, judges whether it became the record (see Lease) and
// deletes the versions it made obsolete. Once d may be at the server, every
// failure to judge it wraps ErrOutcomeUnknown.
func (l *Lease) insert(ctx context.Context, op string, d leaseDoc) (hakit.LeaseRecord, error) {
	unknown := func(format string, a ...any) error {
		return l.errorf(op, fmt.Errorf("%w: %w", ErrOutcomeUnknown, fmt.Errorf(format, a...)))
	}
	_, err := l.coll.InsertOne(ctx, d)
	if mongo.IsDuplicateKeyError(err) {
		// A driver retry of our own insert ends here too: the document
		// then carries our nonce.
		var cur leaseDoc
		switch err := l.coll.FindOne(ctx, bson.D{{Key: "_id", Value: d.ID}}).Decode(&cur); {
		case errors.Is(err, mongo.ErrNoDocuments) || err == nil && cur.Nonce != d.Nonce:
			return hakit.LeaseRecord{}, l.errorf(op, hakit.ErrLeaseConflict)
		case err != nil:
			return hakit.LeaseRecord{}, unknown("version %d taken, by this write or another: %w", d.Version, err)
		}
	} else if err != nil {
		return hakit.LeaseRecord{}, l.errorf(op, err)
	}
	top, err := l.latest(ctx)
	if err != nil {
		return hakit.LeaseRecord{}, unknown("version %d inserted, latest version unreadable: %w", d.Version, err)
	}
	if top.Version > d.Version {
		var next leaseDoc
		err := l.coll.FindOne(ctx, bson.D{{Key: "_id", Value: leaseID{l.cfg.Name, d.Version + 1}}}).Decode(&next)
		switch {
		case err == nil && next.Prev != d.Nonce:
			return hakit.LeaseRecord{}, l.errorf(op, fmt.Errorf("version %d was already taken: %w", d.Version, hakit.ErrLeaseConflict))
		case errors.Is(err, mongo.ErrNoDocuments):
			return hakit.LeaseRecord{}, unknown("version %d inserted but version %d is gone", d.Version, d.Version+1)
		case err != nil:
			return hakit.LeaseRecord{}, unknown("version %d inserted, version %d unreadable: %w", d.Version, d.Version+1, err)
		}
		// Superseded already, by a writer that read this version.
	} else if d.Version > 1 {
		// Best effort: a later winner deletes what is left.
		_, _ = l.coll.DeleteMany(ctx, bson.D{{Key: "lease", Value: l.cfg.Name}, {Key: "version", Value: bson.D{{Key: "$lt", Value: d.Version - 1}}}})
	}
	return d.record()
}
