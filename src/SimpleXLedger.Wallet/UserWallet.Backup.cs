using SimpleXLedger.Wallet.Storage;

namespace SimpleXLedger.Wallet;

/// <summary>Backups are consistent copies of the encrypted file; a restore merges one in without ever counting anything twice.</summary>
public sealed partial class UserWallet
{
    /// <summary>Writes a consistent copy of the wallet (owner-only, same passphrase, every record sealed as here). Never overwrites.</summary>
    public void Backup(string destination)
    {
        ArgumentException.ThrowIfNullOrEmpty(destination);
        lock (_gate)
        {
            _file.CopyTo(System.IO.Path.GetFullPath(destination));
        }
    }

    /// <summary>
    /// Merges a backup into this wallet. The backup must open with <paramref name="passphrase"/> and be intact (else a
    /// typed error and nothing changes). Duplicates are recognised by content — cards by hash, tokens by their bytes
    /// and by this wallet's record of spent tokens, queues by relay and recipient id — so restoring the same backup
    /// again adds nothing, and a token this wallet already spent never comes back.
    /// </summary>
    public RestoreResult Restore(string backupPath, string passphrase)
    {
        ArgumentException.ThrowIfNullOrEmpty(backupPath);
        var full = System.IO.Path.GetFullPath(backupPath);
        if (string.Equals(full, Path, StringComparison.Ordinal))
        {
            throw new WalletException(WalletError.InvalidInput, "a wallet cannot be restored from itself");
        }

        var (file, records) = WalletFile.Open(full, passphrase);
        WalletState backup;
        using (file)
        {
            backup = WalletState.Load(records);
        }

        return Mutate((s, c) =>
        {
            var now = NowSeconds;
            var cardsAdded = 0;
            var batchesAdded = 0;
            var tokensAdded = 0;
            var tokensSkipped = 0;
            var queuesAdded = 0;

            var cardIds = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var card in backup.Cards.Values)
            {
                if (s.Cards.Values.Any(x => x.Hash == card.Hash))
                {
                    continue;
                }

                var id = WalletChanges.NewId();
                cardIds[card.Id] = id;
                c.Put(card with { Id = id });
                cardsAdded++;
            }

            foreach (var batch in backup.Batches.Values)
            {
                // Only with its card: a batch of a card this wallet already has may have been answered here already.
                if (cardIds.TryGetValue(batch.CardId, out var cardId) && !s.Batches.Values.Any(b => b.RequestId.AsSpan().SequenceEqual(batch.RequestId)))
                {
                    c.Put(batch with { Id = WalletChanges.NewId(), CardId = cardId });
                    batchesAdded++;
                }
            }

            var held = new HashSet<string>(s.Tokens.Values.Select(t => Convert.ToHexString(t.Token)), StringComparer.Ordinal);
            foreach (var token in backup.Tokens.Values)
            {
                var hex = Convert.ToHexString(token.Token);
                if (held.Contains(hex) || s.Spent.Contains(WalletState.SpentMark(token)))
                {
                    tokensSkipped++;
                    continue;
                }

                held.Add(hex);
                // Its own id kept: the id is what marks it spent later, here and in any other restore of this backup.
                c.Put(token with { Id = s.Tokens.ContainsKey(token.Id) ? WalletChanges.NewId() : token.Id, ReservedFor = null, AddedAt = now });
                tokensAdded++;
            }

            var names = new HashSet<string>(s.Queues.Values.Select(q => q.Name), StringComparer.Ordinal);
            foreach (var queue in backup.Queues.Values)
            {
                var known = s.Queues.Values.Any(q => q.Relay == queue.Relay
                    && (q.RecipientId is { } rid && queue.RecipientId is { } other ? rid.AsSpan().SequenceEqual(other) : q.RecipientKey.AsSpan().SequenceEqual(queue.RecipientKey)));
                if (known || queue.State == QueueState.Creating)
                {
                    continue;
                }

                var name = queue.Name;
                for (var i = 2; names.Contains(name); i++)
                {
                    name = $"{queue.Name}-{i}";
                }

                names.Add(name);
                c.Put(queue with { Id = WalletChanges.NewId(), Name = name });
                queuesAdded++;
            }

            if (s.Settings.IssuerName is null && backup.Settings.IssuerName is not null)
            {
                c.Put(s.Settings with { IssuerName = backup.Settings.IssuerName, Profile = backup.Settings.Profile });
            }

            return new RestoreResult(cardsAdded, batchesAdded, tokensAdded, tokensSkipped, queuesAdded);
        });
    }
}
