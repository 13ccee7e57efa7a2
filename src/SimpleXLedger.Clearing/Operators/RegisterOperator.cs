using System.Text;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.Signer;
using Nethereum.Util;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Clearing.Receipts;
using SimpleXLedger.Clearing.Storage;
using SimpleXLedger.Hosting.Pipeline;

namespace SimpleXLedger.Clearing.Operators;

public enum RegisterStatus
{
    Registered,
    Replayed,
    BadOperatorSignature,
    BadPayeeSignature,
    KeyRegisteredToAnotherPayee,
}

public sealed record RegisterOutcome(RegisterStatus Status, string Payee) : ILogSummary
{
    public string LogSummary => $"{Status} payee={Payee}";
}

/// <summary>
/// Registers an operator: its Ed25519 key (proven by its own signature) and its payout address (proven by the
/// address's EIP-191 signature), both over a text naming this clearing house, so neither can be replayed to
/// another one. A key keeps its first payee: registering it again with the same payee is a replay, with
/// another payee a refusal (receipts already given name the first).
/// </summary>
public sealed record RegisterOperator(byte[] OperatorKey, string Payee, byte[] PayeeSignature, byte[] OperatorSignature)
    : ICommand<RegisterOutcome>, IValidated, ITransactional, ILogSummary
{
    public string LogSummary => $"operator={Convert.ToHexStringLower(OperatorKey ?? [])[..Math.Min(16, 2 * (OperatorKey?.Length ?? 0))]} payee={Payee}";

    public string? Validate()
    {
        if (OperatorKey is not { Length: ClearingProtocol.OperatorKeyLength })
        {
            return "an operator key is 32 bytes (Ed25519)";
        }

        if (!ClearingProtocol.IsAddress(Payee))
        {
            return "the payee is an Ethereum address (0x and 40 hex digits)";
        }

        if (PayeeSignature is not { Length: 65 })
        {
            return "the payee signature is 65 bytes (r, s, v)";
        }

        return OperatorSignature is not { Length: ClearingProtocol.OperatorSignatureLength } ? "the operator signature is 64 bytes (Ed25519)" : null;
    }
}

public sealed class RegisterOperatorHandler(ClearingDbContext db, ClearingIdentity identity, TimeProvider time)
    : ICommandHandler<RegisterOperator, RegisterOutcome>
{
    public async ValueTask<RegisterOutcome> Handle(RegisterOperator command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var payee = AddressUtil.Current.ConvertToChecksumAddress(command.Payee);
        var text = ClearingProtocol.RegistrationMessage(identity.Identity, command.OperatorKey, payee);
        if (!OperatorKey.Verify(command.OperatorKey, Encoding.UTF8.GetBytes(text), command.OperatorSignature))
        {
            return new RegisterOutcome(RegisterStatus.BadOperatorSignature, payee);
        }

        string? signer = null;
        try
        {
            // Only 27..34 are recovery bytes (Nethereum throws a bare Exception for any other): the rest is a bad signature.
            if (command.PayeeSignature[64] is >= 27 and <= 34)
            {
                signer = new EthereumMessageSigner().EncodeUTF8AndEcRecover(text, command.PayeeSignature.ToHex(true));
            }
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
        {
            signer = null;
        }

        if (signer is null || !string.Equals(signer, payee, StringComparison.OrdinalIgnoreCase))
        {
            return new RegisterOutcome(RegisterStatus.BadPayeeSignature, payee);
        }

        var existing = await db.Operators.SingleOrDefaultAsync(o => o.PublicKey == command.OperatorKey, cancellationToken);
        if (existing is not null)
        {
            return string.Equals(existing.Payee, payee, StringComparison.OrdinalIgnoreCase)
                ? new RegisterOutcome(RegisterStatus.Replayed, existing.Payee)
                : new RegisterOutcome(RegisterStatus.KeyRegisteredToAnotherPayee, existing.Payee);
        }

        db.Operators.Add(new OperatorRow
        {
            PublicKey = command.OperatorKey,
            Payee = payee,
            PayeeSignature = command.PayeeSignature,
            RegisteredAt = time.GetUtcNow().ToUnixTimeSeconds(),
        });
        return new RegisterOutcome(RegisterStatus.Registered, payee);
    }
}
