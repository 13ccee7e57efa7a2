using System.Collections.Concurrent;
using NSec.Cryptography;

namespace SimpleXLedger.Relay.Queues;

/// <summary>
/// The live queues in memory, found by recipient id, by sender id, and by the recipient key that made them
/// (the last one made with a key: to answer a retried create).
/// </summary>
internal sealed class QueueIndex
{
    private readonly ConcurrentDictionary<QueueKey, QueueState> _byRecipient = new();
    private readonly ConcurrentDictionary<QueueKey, QueueState> _bySender = new();
    private readonly ConcurrentDictionary<string, QueueState> _byRecipientKey = new(StringComparer.Ordinal);

    public int Count => _byRecipient.Count;

    public ICollection<QueueState> All => _byRecipient.Values;

    public void Add(QueueState q)
    {
        QueueKey.TryFrom(q.RecipientId, out var rk);
        QueueKey.TryFrom(q.SenderId, out var sk);
        _byRecipient[rk] = q;
        _bySender[sk] = q;
        _byRecipientKey[KeyName(q.RecipientKey.Export(KeyBlobFormat.RawPublicKey))] = q;
    }

    public void Remove(QueueState q)
    {
        QueueKey.TryFrom(q.RecipientId, out var rk);
        QueueKey.TryFrom(q.SenderId, out var sk);
        _byRecipient.TryRemove(rk, out _);
        _bySender.TryRemove(sk, out _);
        _byRecipientKey.TryRemove(new KeyValuePair<string, QueueState>(KeyName(q.RecipientKey.Export(KeyBlobFormat.RawPublicKey)), q));
    }

    public bool TryGetByRecipient(ReadOnlySpan<byte> recipientId, out QueueState q)
    {
        q = null!;
        return QueueKey.TryFrom(recipientId, out var key) && _byRecipient.TryGetValue(key, out q!);
    }

    public bool TryGetBySender(ReadOnlySpan<byte> senderId, out QueueState q)
    {
        q = null!;
        return QueueKey.TryFrom(senderId, out var key) && _bySender.TryGetValue(key, out q!);
    }

    /// <summary>The live queue made with this recipient key, if any.</summary>
    public QueueState? MadeWith(ReadOnlySpan<byte> recipientKey) =>
        _byRecipientKey.TryGetValue(KeyName(recipientKey), out var q) && !q.Deleted ? q : null;

    private static string KeyName(ReadOnlySpan<byte> rawPublicKey) => Convert.ToBase64String(rawPublicKey);
}
