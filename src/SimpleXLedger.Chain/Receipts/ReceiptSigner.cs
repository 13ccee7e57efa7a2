using System.Numerics;
using Nethereum.ABI.EIP712;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.Signer;
using Nethereum.Signer.EIP712;
using Nethereum.Util;

namespace SimpleXLedger.Chain.Receipts;

/// <summary>A clearing-house receipt: <c>Receipt(address payee, uint64 epoch, uint64 acceptedInEpoch, bytes32 batchId)</c>.</summary>
public sealed record Receipt(string Payee, ulong Epoch, ulong AcceptedInEpoch, byte[] BatchId);

/// <summary>A receipt with the clearing house's 65-byte EIP-712 signature (r ‖ s ‖ v).</summary>
public sealed record SignedReceipt(Receipt Receipt, byte[] Signature);

/// <summary>The EIP-712 struct as Nethereum encodes it; field order and types are the contract's typehash.</summary>
[Struct("Receipt")]
public class ReceiptStruct
{
    [Parameter("address", "payee", 1)] public string Payee { get; set; } = "";
    [Parameter("uint64", "epoch", 2)] public ulong Epoch { get; set; }
    [Parameter("uint64", "acceptedInEpoch", 3)] public ulong AcceptedInEpoch { get; set; }
    [Parameter("bytes32", "batchId", 4)] public byte[] BatchId { get; set; } = [];
}

/// <summary>
/// Signs and verifies receipts in the ledger's EIP-712 domain (name "SimpleXLedger", version "1",
/// the chain id and the ledger's address), exactly as <c>SxlLedger.receiptDigest</c> hashes them.
/// </summary>
public sealed class ReceiptSigner
{
    public const string DomainName = "SimpleXLedger";
    public const string DomainVersion = "1";

    // Nethereum's encoder writes the message into the TypedData it is given, so a shared instance signs
    // whichever receipt another thread set last. Each call gets its own, sharing the immutable domain and types.
    private readonly Domain _domain;
    private readonly IDictionary<string, MemberDescription[]> _types;

    public ReceiptSigner(BigInteger chainId, string ledgerAddress)
    {
        ArgumentException.ThrowIfNullOrEmpty(ledgerAddress);
        _domain = new Domain
        {
            Name = DomainName,
            Version = DomainVersion,
            ChainId = chainId,
            VerifyingContract = ledgerAddress,
        };
        _types = MemberDescriptionFactory.GetTypesMemberDescription(typeof(Domain), typeof(ReceiptStruct));
    }

    /// <summary>The 32-byte digest the signature is over (<c>\x19\x01 ‖ domainSeparator ‖ structHash</c>, hashed).</summary>
    public byte[] Digest(Receipt receipt)
        => Sha3Keccack.Current.CalculateHash(Eip712TypedDataSigner.Current.EncodeTypedData(ToStruct(receipt), NewTypedData()));

    public SignedReceipt Sign(Receipt receipt, EthECKey clearingHouseKey)
    {
        ArgumentNullException.ThrowIfNull(clearingHouseKey);
        var signature = Eip712TypedDataSigner.Current.SignTypedDataV4(ToStruct(receipt), NewTypedData(), clearingHouseKey);
        return new SignedReceipt(receipt, signature.HexToByteArray());
    }

    /// <summary>The address that signed, or null when the signature is malformed.</summary>
    public string? RecoverSigner(SignedReceipt signed)
    {
        ArgumentNullException.ThrowIfNull(signed);
        if (signed.Signature.Length != 65)
        {
            return null;
        }

        try
        {
            return Eip712TypedDataSigner.Current.RecoverFromSignatureV4(ToStruct(signed.Receipt), NewTypedData(), signed.Signature.ToHex(true));
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>True when the receipt was signed by <paramref name="clearingHouse"/>.</summary>
    public bool Verify(SignedReceipt signed, string clearingHouse)
    {
        var signer = RecoverSigner(signed);
        return signer is not null && string.Equals(signer, clearingHouse, StringComparison.OrdinalIgnoreCase);
    }

    private TypedData<Domain> NewTypedData() => new()
    {
        Domain = _domain,
        Types = _types,
        PrimaryType = "Receipt",
    };

    private static ReceiptStruct ToStruct(Receipt receipt)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        if (receipt.BatchId.Length != 32)
        {
            throw new ArgumentException("a receipt's batch id is 32 bytes", nameof(receipt));
        }

        return new ReceiptStruct
        {
            Payee = receipt.Payee,
            Epoch = receipt.Epoch,
            AcceptedInEpoch = receipt.AcceptedInEpoch,
            BatchId = receipt.BatchId,
        };
    }
}
