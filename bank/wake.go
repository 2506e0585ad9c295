package bank

// Wake asks Run to sync at once rather than at its next tick. It never
// blocks: wakes that arrive while one is pending count as one, and the
// sync that follows reads every change committed up to then. The
// PostgreSQL store calls it when another replica commits a signal change
// (postgres.DB.OnSignalChange), so that a signal written anywhere is
// matchable everywhere within a notification's delivery plus one
// incremental sync, without any replica reloading the index.
func (b *Bank) Wake() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}
