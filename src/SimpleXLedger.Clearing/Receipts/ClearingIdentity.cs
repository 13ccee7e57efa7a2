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
        Identity = ClearingProtocol.Identity(chainId, Ledger, Address);
    }

    /// <summary>The clearing house's checksummed address.</summary>
    public string Address { get; }

    public ulong ChainId { get; }

    public string Ledger { get; }

    /// <summary>SHA-256 identity (see <see cref="ClearingProtocol.Identity"/>).</summary>
    public byte[] Identity { get; }

    public ReceiptSigner Signer => _signer;

    public SignedReceipt Sign(Receipt receipt) => _signer.Sign(receipt, _key);
}
