package ksp

import "testing"

func TestParseUUID(t *testing.T) {
	for range 100 {
		id := NewID()
		b, ok := ParseUUID(id)
		if !ok || FormatUUID(b) != id {
			t.Fatalf("ParseUUID(%q) = %x, %v", id, b, ok)
		}
		if c, ok := ParseUUID([]byte(id)); !ok || c != b {
			t.Fatalf("ParseUUID([]byte(%q)) = %x, %v", id, c, ok)
		}
	}
	for _, bad := range []string{
		"",
		"0190a0b1-2c3d-7e4f-8a9b-0c1d2e3f405",   // short
		"0190a0b1-2c3d-7e4f-8a9b-0c1d2e3f40567", // long
		"0190A0B1-2C3D-7E4F-8A9B-0C1D2E3F4056",  // upper case
		"0190a0b1x2c3d-7e4f-8a9b-0c1d2e3f4056",  // dash replaced
		"0190a0b12-c3d-7e4f-8a9b-0c1d2e3f4056",  // dash moved
		"0190a0b1-2c3d-7e4f-8a9b-0c1d2e3f405g",  // not hex
	} {
		if _, ok := ParseUUID(bad); ok {
			t.Errorf("ParseUUID(%q) accepted", bad)
		}
		if ValidID(bad) {
			t.Errorf("ValidID(%q) accepted", bad)
		}
	}
}
