using Nethereum.ABI.FunctionEncoding.Attributes;

namespace SimpleXLedger.Chain.Services;

/// <summary>One read of an <see cref="EventCursor{TEvent}"/>: new events, and whether what was read before must be dropped.</summary>
public sealed record EventBatch<TEvent>(IReadOnlyList<ChainEvent<TEvent>> Events, bool StartedOver);

/// <summary>
/// Reads one contract's events of one type incrementally, at the connection's confirmation depth, and notices a
/// reorganisation deeper than that depth: it keeps the hash of the last block it read up to, and when that block is
/// no longer canonical it reports the reorg (<see cref="ChainConnection.ReorgDetected"/>: a metric and a warning) and
/// reads again from its start, telling the caller to drop what it built from the earlier reads, never following
/// the new chain silently on top of the old one.
/// </summary>
public sealed class EventCursor<TEvent>(ChainConnection connection, string contract, ulong fromBlock = 0)
    where TEvent : IEventDTO, new()
{
    private readonly ulong _start = fromBlock;
    private ulong _next = fromBlock;
    private (ulong Block, string Hash)? _mark;

    public async Task<EventBatch<TEvent>> NextAsync(CancellationToken ct = default)
    {
        var startedOver = false;
        if (_mark is { } mark && !string.Equals(await connection.BlockHashAsync(mark.Block, ct), mark.Hash, StringComparison.OrdinalIgnoreCase))
        {
            connection.ReportReorg(mark.Block);
            _next = _start;
            _mark = null;
            startedOver = true;
        }

        var page = await connection.GetEventsAsync<TEvent>(contract, _next, ct: ct);
        if (page.ScannedTo + 1 <= _next)
        {
            return new EventBatch<TEvent>([], startedOver);
        }

        if (await connection.BlockHashAsync(page.ScannedTo, ct) is not { } hash)
        {
            // The block vanished since its events were read (a reorg under way): read the range again next time.
            return new EventBatch<TEvent>([], startedOver);
        }

        _mark = (page.ScannedTo, hash);
        _next = page.ScannedTo + 1;
        return new EventBatch<TEvent>(page.Events, startedOver);
    }
}
