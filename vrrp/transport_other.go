//go:build !linux

package vrrp
