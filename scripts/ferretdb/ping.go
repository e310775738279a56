package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// ping sends {ping: 1, $db: "admin"} as an OP_MSG (MongoDB wire protocol,
// opcode 2013) to addr and checks that the reply is an OP_MSG whose body
// holds "ok" as the double 1.0, the way FerretDB answers. services.sh uses
// it (-ping) to know when the server really answers.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))

	var doc []byte
	doc = binary.LittleEndian.AppendUint32(doc, 0) // size, set below
	doc = append(doc, 0x10)
	doc = append(doc, "ping\x00"...)
	doc = binary.LittleEndian.AppendUint32(doc, 1)
	doc = append(doc, 0x02)
	doc = append(doc, "$db\x00"...)
	doc = binary.LittleEndian.AppendUint32(doc, uint32(len("admin")+1))
	doc = append(doc, "admin\x00"...)
	doc = append(doc, 0)
	binary.LittleEndian.PutUint32(doc, uint32(len(doc)))

	msg := make([]byte, 16, 64)
	msg = binary.LittleEndian.AppendUint32(msg, 0) // flagBits
	msg = append(msg, 0)                           // section kind 0
	msg = append(msg, doc...)
	binary.LittleEndian.PutUint32(msg[0:], uint32(len(msg)))
	binary.LittleEndian.PutUint32(msg[4:], 1)
	binary.LittleEndian.PutUint32(msg[12:], 2013)
	if _, err := c.Write(msg); err != nil {
		return err
	}
	var hdr [16]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return err
	}
	n := binary.LittleEndian.Uint32(hdr[0:])
	if op := binary.LittleEndian.Uint32(hdr[12:]); op != 2013 || n < 21 || n > 1<<24 {
		return fmt.Errorf("unexpected reply: opcode %d length %d", op, n)
	}
	body := make([]byte, n-16)
	if _, err := io.ReadFull(c, body); err != nil {
		return err
	}
	// ok: 1.0 as a BSON double element: type 0x01, "ok\0", float64 1.
	want := []byte{0x01, 'o', 'k', 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f}
	for i := 0; i+len(want) <= len(body); i++ {
		if string(body[i:i+len(want)]) == string(want) {
			return nil
		}
	}
	return errors.New("reply without ok: 1")
}
