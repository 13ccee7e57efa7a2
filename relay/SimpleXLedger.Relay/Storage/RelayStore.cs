using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace SimpleXLedger.Relay.Storage;

/// <summary>
/// The relay's open database: its connection, the group-commit writer that owns it, and what it held at
/// open. A service of the relay's container, which closes it after the engine and the plugin host.
/// </summary>
internal sealed class RelayStore : IAsyncDisposable
{
    private readonly SqliteConnection _connection;
    private int _disposed;

    private RelayStore(SqliteConnection connection, GroupCommitWriter writer, LoadedStore loaded)
    {
        _connection = connection;
        Writer = writer;
        Loaded = loaded;
    }

    public GroupCommitWriter Writer { get; }

    /// <summary>The queues, messages and the plugin's entries read at open.</summary>
    public LoadedStore Loaded { get; }

    /// <summary>Opens (or creates) the database in the data directory and loads it, for the metering plugin <paramref name="plugin"/>.</summary>
    public static async Task<RelayStore> OpenAsync(RelayOptions options, string plugin, ILogger logger)
    {
        Directory.CreateDirectory(options.DataDirectory);
        var connection = RelayDatabase.Open(options.DataDirectory);
        var writer = new GroupCommitWriter(connection, logger, options.MaxCommitBatch);
        try
        {
            // Loading runs on the writer's connection, before any command is accepted.
            var loaded = await writer.ReadAsync(c => StoreLoader.Load(c, plugin));
            return new RelayStore(connection, writer, loaded);
        }
        catch
        {
            await writer.DisposeAsync();
            connection.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await Writer.DisposeAsync();
        _connection.Dispose();
    }
}
