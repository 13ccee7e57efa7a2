using Microsoft.Extensions.Logging;
using SimpleXLedger.Files.Client;
using SimpleXLedger.Net;
using SimpleXLedger.Protos.Files;
using SimpleXLedger.Wallet.Spending;
using SimpleXLedger.Wallet.Storage;

namespace SimpleXLedger.Wallet;

public sealed partial class UserWallet
{
    /// <summary>
    /// Sends a file to file relays (every chunk replicated on each), paying every chunk on every relay from this wallet's
    /// tokens. Once every relay has stated its prices, and before anything is registered or uploaded, the whole price is
    /// reserved: a wallet that cannot cover it is refused with nothing sent and nothing spent. Each chunk's tokens are
    /// marked spent when its relay accepted them (registered the chunk). A token once shown to a relay follows the rule
    /// of queue payments: no answer or "try again later" keeps it reserved for that relay only (the next file sent
    /// there shows it again); a refusal drops it (counted). Tokens reserved for one relay are never shown to another,
    /// and those never sent go back to the pool. Each relay gets its own fresh connection (no TLS resumption).
    /// </summary>
    public async Task<SentFile> SendFileAsync(string path, IReadOnlyList<PinnedAddress> relays, int recipients = 1, string? password = null, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(relays);
        if (relays.Select(r => r.ToString()).Distinct(StringComparer.Ordinal).Count() != relays.Count)
        {
            throw new WalletException(WalletError.InvalidInput, "each file relay may be given once");
        }

        // Per relay, the token ids of each chunk in sending order; which ids were held from an earlier send (shown there before).
        var groups = new Dictionary<string, Queue<string[]>>(StringComparer.Ordinal);
        var held = new HashSet<string>(StringComparer.Ordinal);
        string[]? shown = null;
        string[]? unsentGroup = null;
        var spent = 0;

        async Task Reserve(IReadOnlyList<ChunkPrice> prices, CancellationToken ct)
        {
            var need = prices.Sum(p => p.Tokens);
            if (need == 0)
            {
                return;
            }

            for (var attempt = 0; ; attempt++)
            {
                var shortBy = Mutate((s, c) =>
                {
                    var free = new Queue<TokenRecord>(AvailableTokenRecords(s, forSpending: true).ToList());
                    var heldFor = relays.ToDictionary(
                        r => r.ToString(),
                        r => new Queue<TokenRecord>(s.Tokens.Values.Where(t => t.ReservedFor == FilePurpose(r)).OrderBy(t => t.Id, StringComparer.Ordinal)),
                        StringComparer.Ordinal);
                    var poolNeed = 0;
                    foreach (var relay in relays)
                    {
                        poolNeed += Math.Max(0, prices.Where(p => p.Relay.ToString() == relay.ToString()).Sum(p => p.Tokens) - heldFor[relay.ToString()].Count);
                    }

                    if (poolNeed > free.Count)
                    {
                        return poolNeed - free.Count;
                    }

                    foreach (var price in prices.Where(p => p.Tokens > 0))
                    {
                        var key = price.Relay.ToString();
                        var ids = new string[price.Tokens];
                        for (var i = 0; i < ids.Length; i++)
                        {
                            if (heldFor[key].TryDequeue(out var old))
                            {
                                held.Add(old.Id);
                                ids[i] = old.Id;
                            }
                            else
                            {
                                var token = free.Dequeue();
                                c.Put(token with { ReservedFor = FilePurpose(price.Relay) });
                                ids[i] = token.Id;
                            }
                        }

                        if (!groups.TryGetValue(key, out var queue))
                        {
                            groups[key] = queue = new Queue<string[]>();
                        }

                        queue.Enqueue(ids);
                    }

                    return 0;
                });
                if (shortBy == 0)
                {
                    return;
                }

                if (Policy.PrefetchTokens || attempt > 0)
                {
                    throw new WalletException(WalletError.InsufficientTokens, $"this file costs {need} tokens on the relays given and the wallet is {shortBy} short (tokens redeemed less than {Durations.Format(Policy.MinTokenAge)} ago wait): nothing was sent or spent; redeem a card first");
                }

                await FetchJustInTimeAsync(shortBy, ct);
            }
        }

        Task<IReadOnlyList<byte[]>> Pay(PinnedAddress relay, int tokens, CancellationToken ct)
        {
            string[]? ids = null;
            if (!groups.TryGetValue(relay.ToString(), out var queue) || !queue.TryDequeue(out ids) || ids.Length != tokens)
            {
                // Never sent: fresh tokens go back to the pool in Settle.
                unsentGroup = ids;
                throw new WalletException(WalletError.RelayRefused, "the file relay changed its price during the send: nothing more was paid");
            }

            shown = ids;
            return Task.FromResult<IReadOnlyList<byte[]>>(Read(s => ids.Select(id => s.Tokens[id].Token).ToArray()));
        }

        void Paid(PinnedAddress relay)
        {
            var ids = shown!;
            shown = null;
            spent += ids.Length;
            Mutate((s, c) =>
            {
                var settings = s.Settings;
                foreach (var id in ids)
                {
                    if (s.Tokens.TryGetValue(id, out var record))
                    {
                        c.Delete<TokenRecord>(id);
                        c.MarkSpent(WalletState.SpentMark(record));
                        settings = settings with { TokensSpent = settings.TokensSpent + 1 };
                    }
                }

                c.Put(settings);
            });
        }

        try
        {
            var sent = await FileSender.SendAsync(path, relays, recipients, Pay, Reserve, Paid, password, progress, cancellationToken);
            Settle(null);
            Logger.LogInformation("file sent: {Chunks} chunks on {Relays} relays, {Tokens} tokens spent", sent.Sender.Chunks.Count, relays.Count, spent);
            return sent;
        }
        catch (Exception e)
        {
            Settle(e);
            throw e switch
            {
                WalletException w => w,
                FileRelayException { Code: FileErrorCode.Unavailable } => new WalletException(WalletError.Unreachable, "the file relay cannot redeem tokens now; the tokens it saw are kept for that relay only: try again in a few minutes", e),
                FileRelayException { Code: FileErrorCode.Unspecified } => new WalletException(WalletError.Unreachable, $"a file relay cannot be reached ({e.Message}); tokens it may have seen are kept for that relay only, the others are back in the wallet", e),
                FileRelayException { Code: FileErrorCode.PaymentRefused } => new WalletException(WalletError.RelayRefused, "the file relay refused a token (invalid or already spent); the tokens it saw were dropped, never to be shown elsewhere", e),
                FileRelayException { Code: FileErrorCode.PaymentRequired } => new WalletException(WalletError.RelayRefused, "the file relay asked for more than the price it announced; the tokens it saw were dropped", e),
                FileRelayException f => new WalletException(WalletError.RelayRefused, $"the file relay refused the chunk: {f.Code}; any tokens it saw were dropped", e),
                HttpRequestException => new WalletException(WalletError.Unreachable, "a file relay cannot be reached; tokens it may have seen are kept for that relay only", e),
                OperationCanceledException => new WalletException(WalletError.Unreachable, "the send was cancelled; tokens a relay may have seen are kept for that relay only", e),
                _ => e,
            };
        }

        // After the send: the tokens a relay saw without accepting are kept for it (no answer) or dropped (a refusal);
        // held tokens not shown this time stay held for their relay; fresh ones never shown go back to the pool.
        void Settle(Exception? failure)
        {
            var keep = failure is FileRelayException { Code: FileErrorCode.Unavailable or FileErrorCode.Unspecified } or HttpRequestException or OperationCanceledException;
            var inFlight = shown;
            var unshown = groups.Values.SelectMany(q => q).SelectMany(ids => ids).Concat(unsentGroup ?? []).ToArray();
            Mutate((s, c) =>
            {
                var dropped = 0;
                foreach (var id in inFlight ?? [])
                {
                    if (!keep && s.Tokens.TryGetValue(id, out var token))
                    {
                        c.Delete<TokenRecord>(id);
                        c.MarkSpent(WalletState.SpentMark(token));
                        dropped++;
                    }
                }

                if (dropped > 0)
                {
                    c.Put(s.Settings with { TokensDropped = s.Settings.TokensDropped + dropped });
                }

                foreach (var id in unshown)
                {
                    if (!held.Contains(id) && s.Tokens.TryGetValue(id, out var token))
                    {
                        c.Put(token with { ReservedFor = null });
                    }
                }
            });
        }
    }

    private static string FilePurpose(PinnedAddress relay) => "file:" + relay;
}
