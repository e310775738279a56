package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// Every scene of the tour runs to the end on the fakes.
func TestTourScenes(t *testing.T) {
	for _, s := range scenes {
		t.Run(s.title, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			var out bytes.Buffer
			if err := s.run(ctx, &out); err != nil {
				t.Fatalf("scene failed: %v\n%s", err, out.String())
			}
			if strings.Count(out.String(), "\n") < 3 {
				t.Fatalf("scene printed too little:\n%s", out.String())
			}
		})
	}
}
