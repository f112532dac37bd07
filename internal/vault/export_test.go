package vault

// SetAfterKeyFileWritten makes Rotate call fn once the new master version is
// durable in the key file and before the database commits anything wrapped
// by it: an error from fn stands for a crash there; a blocking fn holds the
// rotation mid-way.
func SetAfterKeyFileWritten(v *Vault, fn func() error) { v.afterKeyFileWritten = fn }

// MasterKeyBytes is version's key, for tests that compare key files.
func MasterKeyBytes(m *MasterKeys, version int) []byte {
	k, _ := m.key(version)
	return k
}
