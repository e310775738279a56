package galera

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/go-sql-driver/mysql"
)

// MySQL and MariaDB error numbers the package acts on.
const (
	ErrNumDeadlock       = 1213 // ER_LOCK_DEADLOCK: deadlock, or a Galera certification failure
	ErrNumLockWait       = 1205 // ER_LOCK_WAIT_TIMEOUT
	ErrNumNotReady       = 1047 // ER_UNKNOWN_COM_ERROR: "WSREP has not yet prepared node for application use"
	ErrNumServerGone     = 2006 // CR_SERVER_GONE_ERROR (client library)
	ErrNumServerLost     = 2013 // CR_SERVER_LOST: "Lost connection to MySQL server during query"
	ErrNumDupEntry       = 1062 // ER_DUP_ENTRY: duplicate key
	ErrNumReadOnly       = 1290 // ER_OPTION_PREVENTS_STATEMENT, e.g. read_only
	ErrNumConnKilled     = 1927 // ER_CONNECTION_KILLED (MariaDB)
	ErrNumServerShutdown = 1053 // ER_SERVER_SHUTDOWN
	// ErrNumErrorDuringCommit is ER_ERROR_DURING_COMMIT, "Got error N
	// during COMMIT": the storage engine or the provider failed after the
	// commit began, so it may have taken effect.
	ErrNumErrorDuringCommit = 1180
)

func mysqlNumber(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

// connLost reports whether err means the connection to the server is gone
// (2006, 2013, driver.ErrBadConn, go-sql-driver's ErrInvalidConn, EOF, a
// network error). Context errors are not connection losses.
func connLost(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	switch mysqlNumber(err) {
	case ErrNumServerGone, ErrNumServerLost, ErrNumConnKilled, ErrNumServerShutdown:
		return true
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// nodeSuspect reports whether err from a statement says something about
// the node's health worth an immediate probe: a lost connection, "not
// ready", or a read-only refusal on the writer.
func nodeSuspect(err error) bool {
	switch mysqlNumber(err) {
	case ErrNumNotReady, ErrNumReadOnly:
		return true
	}
	return connLost(err)
}
