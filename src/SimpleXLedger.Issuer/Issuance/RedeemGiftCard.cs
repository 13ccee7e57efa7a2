using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Mediator;
using SimpleXLedger.Cards;
using SimpleXLedger.Hosting.Pipeline;
using SimpleXLedger.Issuer.Keys;
using SimpleXLedger.Net.Crash;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Issuer.Issuance;

/// <summary>
/// Turns credits of a gift card into blind signatures: debits the card by the number of token requests
/// (atomically, idempotent by request id), then blind-signs each request with the issuing key.
/// </summary>
public sealed record RedeemGiftCard(CardCode Code, byte[] RequestId, IReadOnlyList<byte[]> TokenRequests)
    : ICommand<RedeemOutcome>, IValidated, ILogSummary
{
    public const int MinRequestIdLength = 16;
    public const int MaxRequestIdLength = 64;

    // The card code's own ToString withholds it; only the request id and count are logged.
    public string LogSummary => $"request={Convert.ToHexStringLower(RequestId ?? [])} count={TokenRequests?.Count ?? 0}";

    public string? Validate()
    {
        if (Code is null)
        {
            return "no card code";
        }

        if (RequestId is null || RequestId.Length is < MinRequestIdLength or > MaxRequestIdLength)
        {
            return $"a request id is {MinRequestIdLength} to {MaxRequestIdLength} bytes";
        }

        return TokenRequests is null ? "no token requests" : null;
    }

    /// <summary>SHA-256 over the whole batch (count, then each request with its length): the idempotency fingerprint.</summary>
    public static byte[] DigestOf(IReadOnlyList<byte[]> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.ASCII.GetBytes("sxl-issuer-batch-v1"));
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, requests.Count);
        hash.AppendData(length);
        foreach (var r in requests)
        {
            BinaryPrimitives.WriteInt32BigEndian(length, r.Length);
            hash.AppendData(length);
            hash.AppendData(r);
        }

        return hash.GetHashAndReset();
    }
}

public sealed class RedeemGiftCardHandler(IMediator mediator, TokenSigner signer, IssuerSettings settings, IssuingKeyDirectory keys, IssuerMetrics metrics)
    : ICommandHandler<RedeemGiftCard, RedeemOutcome>
{
    private static readonly ConcurrentDictionary<string, byte[]> Moduli = new(StringComparer.Ordinal);

    /// <summary>Where a crash test stops the process: the debit is committed, nothing was signed or sent.</summary>
    public const string CrashAfterDebit = "issuer.redeem.after-debit";

    public async ValueTask<RedeemOutcome> Handle(RedeemGiftCard command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var outcome = await RedeemAsync(command, cancellationToken);
        metrics.Redeemed(outcome.Status, command.TokenRequests?.Count ?? 0);
        return outcome;
    }

    private async ValueTask<RedeemOutcome> RedeemAsync(RedeemGiftCard command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var requests = command.TokenRequests;
        if (requests.Count < 1 || requests.Count > settings.MaxBatch)
        {
            return RedeemOutcome.Failed(RedeemStatus.BadBatchSize);
        }

        var parsed = new TokenRequest[requests.Count];
        for (var i = 0; i < parsed.Length; i++)
        {
            if (requests[i] is null || !TokenRequest.TryParse(requests[i], out var request, out _))
            {
                return RedeemOutcome.Failed(RedeemStatus.BadTokenRequest);
            }

            if (i > 0 && request.TruncatedTokenKeyId != parsed[0].TruncatedTokenKeyId)
            {
                return RedeemOutcome.Failed(RedeemStatus.WrongKey);
            }

            parsed[i] = request;
        }

        // A blinded message at or above the issuing key's modulus can never be signed: refuse it before the debit, so a
        // bad request never moves the card or the key's issued count, not even until the refund below (an anchoring of
        // issued totals in between would have counted it). A key that changes meanwhile is still caught after signing.
        if (await keys.CurrentAsync(cancellationToken) is { } issuing && Convert.ToByte(issuing.Id[^2..], 16) == parsed[0].TruncatedTokenKeyId)
        {
            var modulus = Moduli.GetOrAdd(issuing.Id, _ => TokenPublicKey.FromSpki(issuing.Spki).RsaKey.Modulus.ToArray());
            if (parsed.Any(r => r.BlindedMessage.SequenceCompareTo(modulus) >= 0))
            {
                return RedeemOutcome.Failed(RedeemStatus.BadTokenRequest);
            }
        }

        var debit = await mediator.Send(
            new DebitCard(command.Code.ComputeHash(), command.RequestId, RedeemGiftCard.DigestOf(requests), requests.Count, parsed[0].TruncatedTokenKeyId),
            cancellationToken);
        if (debit.Status is not (RedeemStatus.Issued or RedeemStatus.Replayed))
        {
            return RedeemOutcome.Failed(debit.Status, debit.Remaining);
        }

        CrashPoint.Reach(CrashAfterDebit);

        // Signing is deterministic: a replay signs again and gets the very same signatures, so none is ever stored.
        var signing = signer.TrySignAll(debit.KeyId!, parsed, out var responses);
        if (signing is TokenError.BlindedMessageOutOfRange or TokenError.KeyIdMismatch)
        {
            // A request the key cannot sign: give the credits back, as if nothing had happened.
            await mediator.Send(new RefundDebit(command.RequestId), CancellationToken.None);
            return RedeemOutcome.Failed(RedeemStatus.BadTokenRequest, debit.Remaining + requests.Count);
        }

        if (signing != TokenError.None)
        {
            // The private operation failed its own check (a fault): keep the debit, the client's retry signs again.
            throw new InvalidOperationException($"blind signing failed: {signing}");
        }

        return new RedeemOutcome(debit.Status, responses, debit.Remaining, debit.KeyId);
    }
}
