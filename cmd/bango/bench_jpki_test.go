package main

import (
	"regexp"
	"strconv"
	"testing"
)

// bango bench jpki runs both ways at a small scale and reports two rates
// and their ratio; the figures themselves are the quiet machine's.
func TestBenchJPKIRuns(t *testing.T) {
	code, out, stderr := runCmd(t, "bench", "jpki", "-n", "6", "-clerks", "2")
	if code != 0 {
		t.Fatalf("bench jpki: exit %d: %s", code, stderr)
	}
	m := regexp.MustCompile(`floor\): +([0-9.]+) issuances/s\n.*whole path\): +([0-9.]+) issuances/s\n +ratio ([0-9.]+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no rates in:\n%s", out)
	}
	floor, _ := strconv.ParseFloat(m[1], 64)
	through, _ := strconv.ParseFloat(m[2], 64)
	ratio, _ := strconv.ParseFloat(m[3], 64)
	if floor <= 0 || through <= 0 || ratio <= 0 {
		t.Errorf("rates %v %v ratio %v", floor, through, ratio)
	}
	// Where the time went: CPU per issuance each way, and a clerk's
	// opening and issuance with the time inside the CA.
	if !regexp.MustCompile(`CPU per issuance, floor: this process [0-9.]+ ms, machine [0-9.]+ ms; through bango: this process [0-9.]+ ms`).MatchString(out) ||
		!regexp.MustCompile(`mean: opening [0-9.]+ ms, issuing [0-9.]+ ms, of which in the CA's handler [0-9.]+ ms`).MatchString(out) {
		t.Errorf("no breakdown in:\n%s", out)
	}
	if code, _, _ := runCmd(t, "bench", "jpki", "-clerks", "0"); code == 0 {
		t.Error("-clerks 0 accepted")
	}
}
