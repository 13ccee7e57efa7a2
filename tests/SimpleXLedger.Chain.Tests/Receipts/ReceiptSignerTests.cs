using System.Security.Cryptography;
using Nethereum.Signer;
using SimpleXLedger.Chain.Receipts;

namespace SimpleXLedger.Chain.Tests.Receipts;

public sealed class ReceiptSignerTests
{
    private const string Ledger = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    private const string Payee = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

    [Fact]
    public void One_signer_shared_by_many_threads_signs_each_receipt_as_a_signer_of_its_own_would()
    {
        var key = EthECKey.GenerateKey();
        var shared = new ReceiptSigner(31337, Ledger);
        var receipts = Enumerable.Range(1, 400)
            .Select(i => new Receipt(Payee, (ulong)(i % 7), (ulong)i, RandomNumberGenerator.GetBytes(32)))
            .ToArray();
        var expected = receipts.Select(r => new ReceiptSigner(31337, Ledger).Sign(r, key).Signature).ToArray();

        var signed = new byte[receipts.Length][];
        var digests = new byte[receipts.Length][];
        var verified = new bool[receipts.Length];
        Parallel.For(0, receipts.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            signed[i] = shared.Sign(receipts[i], key).Signature;
            digests[i] = shared.Digest(receipts[i]);
            verified[i] = shared.Verify(new SignedReceipt(receipts[i], expected[i]), key.GetPublicAddress());
        });

        for (var i = 0; i < receipts.Length; i++)
        {
            Assert.Equal(expected[i], signed[i]);
            Assert.Equal(new ReceiptSigner(31337, Ledger).Digest(receipts[i]), digests[i]);
            Assert.True(verified[i], $"receipt {i} did not verify");
        }
    }

    [Fact]
    public void A_receipt_signed_for_one_ledger_does_not_verify_for_another_or_with_a_changed_count()
    {
        var key = EthECKey.GenerateKey();
        var receipt = new Receipt(Payee, 3, 10, RandomNumberGenerator.GetBytes(32));
        var signed = new ReceiptSigner(31337, Ledger).Sign(receipt, key);

        Assert.True(new ReceiptSigner(31337, Ledger).Verify(signed, key.GetPublicAddress()));
        Assert.False(new ReceiptSigner(31337, "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512").Verify(signed, key.GetPublicAddress()));
        Assert.False(new ReceiptSigner(1, Ledger).Verify(signed, key.GetPublicAddress()));
        Assert.False(new ReceiptSigner(31337, Ledger).Verify(signed with { Receipt = receipt with { AcceptedInEpoch = 11 } }, key.GetPublicAddress()));
        Assert.Null(new ReceiptSigner(31337, Ledger).RecoverSigner(signed with { Signature = signed.Signature[..64] }));
    }
}
