using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Receipts;
using SimpleXLedger.Clearing.Receipts;
using SimpleXLedger.Clearing.Tests.Support;

namespace SimpleXLedger.Clearing.Tests.Receipts;

public sealed class ClearingIdentityTests
{
    [Fact]
    public void Receipts_signed_on_many_threads_at_once_are_each_the_ledger_signers_own_signature_of_that_receipt()
    {
        var identity = new ClearingIdentity(DevAccounts.ClearingHouse.Key, 31337, ClearingHarness.Ledger);
        var receipts = Enumerable.Range(0, 300)
            .Select(i => new Receipt(i % 2 == 0 ? DevAccounts.OperatorA.Address : DevAccounts.OperatorB.Address, (ulong)(1 + (i % 3)), (ulong)i, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)))
            .ToArray();

        var signed = new SignedReceipt[receipts.Length];
        Parallel.For(0, receipts.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => signed[i] = identity.Sign(receipts[i]));

        // Checked one at a time with a signer of the ledger's own (which is not safe to share between threads).
        var ledgerSigner = new ReceiptSigner(31337, ClearingHarness.Ledger);
        for (var i = 0; i < receipts.Length; i++)
        {
            Assert.Same(receipts[i], signed[i].Receipt);
            Assert.Equal(ledgerSigner.Sign(receipts[i], DevAccounts.ClearingHouse.Key).Signature, signed[i].Signature);
            Assert.True(ledgerSigner.Verify(signed[i], DevAccounts.ClearingHouse.Address));
        }
    }
}
