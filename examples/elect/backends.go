package main

// backends maps each -backend name to the function that opens its Lease.
// Each store's file (backend_<store>.go) adds its entry.
var backends = map[string]openLease{}
