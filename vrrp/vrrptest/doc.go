// Package vrrptest provides an in-memory LAN on which vrrp Routers run
// without a network, so that failover logic can be tested with virtual
// time (testing/synctest): partitions, packet loss, delays and crashes are
// methods of the LAN and its hosts.
//
// A LAN carries VRRP packets as bytes, so the routers' codec runs exactly
// as on a wire, and Inject can put malformed packets on it. Hosts keep the
// virtual addresses their router adds, so a test can ask who holds an
// address at any moment.
package vrrptest
