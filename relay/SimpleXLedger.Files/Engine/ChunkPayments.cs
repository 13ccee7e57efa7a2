using Google.Protobuf;
using SimpleXLedger.Files.Client;
using SimpleXLedger.Protos.Files;
using SimpleXLedger.Relay.Metering;

namespace SimpleXLedger.Files.Engine;

/// <summary>
/// Payment through the relay's metering plugin seam, the contract the message relay and the TURN service use: each
/// token attached to a chunk goes to the policy's top-up (the tokens plugin verifies it offline, checks its spent-set
/// and redeems it at the clearing house under the operator's key), and the credits must cover the chunk's price. The
/// writes the policy returns (spent entries, outbox) are committed in the transaction that stores the chunk. No
/// balance is kept: a chunk is paid in whole tokens when it is registered, so nothing links a file's chunks.
/// A refusal after an earlier token of the same request was redeemed leaves that token unspent here: the clearing
/// house accepts it again from this operator, so the sender retries with the same tokens.
/// </summary>
internal sealed class ChunkPayments(IMeteringPolicy policy, FilesOptions options)
{
    /// <summary>More tokens than any chunk costs at sane prices; beyond that the request is malformed.</summary>
    public const int MaxTokens = 64;

    public bool Free => options.Free;

    public long StorageMicrosPerMiBDay => Free ? 0 : options.StorageMicrosPerMiBDay;

    public long DownloadMicrosPerMiB => Free ? 0 : options.DownloadMicrosPerMiB;

    public long PriceOfChunk(int size, int recipients) =>
        FilesProtocol.Price(size, options.ChunkTtl, recipients, StorageMicrosPerMiBDay, DownloadMicrosPerMiB);

    public long PriceOfRecipients(int size, int recipients) =>
        FilesProtocol.Price(size, TimeSpan.Zero, recipients, 0, DownloadMicrosPerMiB);

    /// <summary>The store writes that pay <paramref name="price"/> with <paramref name="tokens"/>; a refusal throws.</summary>
    public async Task<IReadOnlyList<StoreWrite>> PayAsync(long price, IReadOnlyList<ByteString> tokens, CancellationToken ct)
    {
        if (Free || price == 0)
        {
            return [];
        }

        if (tokens.Count > MaxTokens)
        {
            throw new FileRefusedException(FileErrorCode.Syntax, $"at most {MaxTokens} tokens per command");
        }

        if (tokens.Count == 0)
        {
            throw Required(price);
        }

        if (tokens.Select(t => Convert.ToHexString(t.Span)).Distinct(StringComparer.Ordinal).Count() != tokens.Count)
        {
            throw new FileRefusedException(FileErrorCode.PaymentRefused, "the same token is attached twice");
        }

        var writes = new List<StoreWrite>();
        long credit = 0;
        foreach (var token in tokens)
        {
            MeteringDecision decision;
            try
            {
                decision = await policy.TopUpAsync(new TopUpUsage(token.Memory, 0), ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The plugin failed: payments never fail open.
                throw new FileRefusedException(FileErrorCode.Unavailable, $"metering is unavailable ({e.GetType().Name}); keep the tokens and try again later");
            }

            if (!decision.Allowed)
            {
                throw Refusal(decision.Denial);
            }

            credit += decision.Credit;
            writes.AddRange(decision.Writes);
        }

        if (credit < price)
        {
            throw Required(price, $"the tokens attached bring {credit} microcredits, short of the price");
        }

        return writes;
    }

    private FileRefusedException Required(long price, string? why = null)
    {
        var denial = policy.InsufficientBalance();
        return new FileRefusedException(
            FileErrorCode.PaymentRequired,
            $"{why ?? "payment required"}: this chunk costs {price} microcredits, {FilesProtocol.TokensFor(price)} token(s)",
            denial.WwwAuthenticate);
    }

    private static FileRefusedException Refusal(MeteringDenial? denial) => denial switch
    {
        { Kind: DenialKind.Unavailable } d => new FileRefusedException(FileErrorCode.Unavailable, d.Message),
        { Kind: DenialKind.PaymentRequired } d => new FileRefusedException(FileErrorCode.PaymentRequired, d.Message, d.WwwAuthenticate),
        { } d => new FileRefusedException(FileErrorCode.PaymentRefused, d.Message),
        null => new FileRefusedException(FileErrorCode.PaymentRefused, "the token was refused"),
    };
}
