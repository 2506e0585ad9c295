package postgres_test

import (
	"testing"

	"github.com/kspplatform/ksp/storetest"
)

// BenchmarkAuditAppend measures one audited write: a write transaction
// that takes the advisory write lock, appends one event to the audit chain
// and commits.
func BenchmarkAuditAppend(b *testing.B) { storetest.BenchAuditAppend(b, open(b)) }

// BenchmarkSubmitBatchNew measures bulk loading of new signals through
// COPY, per batch of 1000 records.
func BenchmarkSubmitBatchNew(b *testing.B) { storetest.BenchSubmitBatchNew(b, open(b)) }

// BenchmarkSubmitBatchLinked is BenchmarkSubmitBatchNew with every record
// attributed to an entity by reference number or id.
func BenchmarkSubmitBatchLinked(b *testing.B) { storetest.BenchSubmitBatchLinked(b, open(b)) }

// BenchmarkImportUNSC measures importing the 2024 UN list, into an empty
// store and over the 2017 list (diff-ms).
func BenchmarkImportUNSC(b *testing.B)  { storetest.BenchImportUNSC(b, open(b)) }
func BenchmarkVerifyChain(b *testing.B) { storetest.BenchVerifyChain(b, open(b)) }

// BenchmarkFindResources measures a page of the library over 10,000
// resources, per viewer and filter.
func BenchmarkFindResources(b *testing.B) { storetest.BenchFindResources(b, open(b)) }

// BenchmarkBankList measures the bank list's search and sorts over 100,000
// signals, a page of 25 as a member sees it.
func BenchmarkBankList(b *testing.B) { storetest.BenchBankList(b, open(b), 100000) }
