using Nethereum.Signer;
using Nethereum.Util;
using SimpleXLedger.Chain.Receipts;
using SimpleXLedger.Clearing.Client;

namespace SimpleXLedger.Clearing.Receipts;

/// <summary>
/// Who this clearing house is: its Ethereum key (the receipts' signer, the ledger's clearing-house role), the
/// ledger whose EIP-712 domain it signs in, and the identity hash operator signatures bind. Receipts are
/// signed with the ledger's own <see cref="ReceiptSigner"/>; ECDSA signing is deterministic (RFC 6979), so a
/// replayed batch gets the very same signature without storing it.
/// </summary>
public sealed class ClearingIdentity
{
    private readonly EthECKey _key;
    private readonly ReceiptSigner _signer;

    // Nethereum's typed-data encoder writes the message into the signer's shared TypedData before hashing it, so
    // one ReceiptSigner must never encode two receipts at once: concurrent batches would sign each other's
    // receipts. Each thread gets its own.
    private readonly ThreadLocal<ReceiptSigner> _digests;

    public ClearingIdentity(EthECKey key, ulong chainId, string ledger)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!ClearingProtocol.IsAddress(ledger))
        {
            throw new ArgumentException("the ledger address is 0x followed by 40 hex digits", nameof(ledger));
        }

        _key = key;
        ChainId = chainId;
        Ledger = AddressUtil.Current.ConvertToChecksumAddress(ledger);
        Address = AddressUtil.Current.ConvertToChecksumAddress(key.GetPublicAddress());
        _signer = new ReceiptSigner(chainId, Ledger);
        var ledgerAddress = Ledger;
        _digests = new ThreadLocal<ReceiptSigner>(() => new ReceiptSigner(chainId, ledgerAddress));
        Identity = ClearingProtocol.Identity(chainId, Ledger, Address);
    }

    /// <summary>The clearing house's checksummed address.</summary>
    public string Address { get; }

    public ulong ChainId { get; }

    public string Ledger { get; }

    /// <summary>SHA-256 identity (see <see cref="ClearingProtocol.Identity"/>).</summary>
    public byte[] Identity { get; }

    /// <summary>The ledger's receipt signer in this domain, for checks (not thread-safe: one caller at a time).</summary>
    public ReceiptSigner Signer => _signer;

    /// <summary>
    /// Signs over the ledger's own EIP-712 digest (<see cref="ReceiptSigner.Digest"/>) with the key directly:
    /// the same signature as <see cref="ReceiptSigner.Sign"/> (deterministic ECDSA, v = 27/28), without its
    /// typed-data round trip, which costs several times the signature itself on the hot path.
    /// </summary>
    public SignedReceipt Sign(Receipt receipt)
    {
        var signature = _key.SignAndCalculateV(_digests.Value!.Digest(receipt));
        var bytes = new byte[65];
        signature.R.AsSpan().CopyTo(bytes.AsSpan(32 - signature.R.Length, signature.R.Length));
        signature.S.AsSpan().CopyTo(bytes.AsSpan(64 - signature.S.Length, signature.S.Length));
        bytes[64] = signature.V[0];
        return new SignedReceipt(receipt, bytes);
    }
}
