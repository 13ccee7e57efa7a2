using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace SimpleXLedger.Hosting.Storage;

/// <summary>
/// The SQLite settings every service's database shares: WAL (set once, it is kept in the file), and on every
/// pooled connection as it opens, a full sync on commit (what is acknowledged survives power loss) and a busy
/// timeout, plus whatever a service adds for its own workload.
/// </summary>
public sealed class SqlitePragmas : DbConnectionInterceptor
{
    /// <summary>What every connection needs: commits reach the disk; a writer waits for the lock up to 30 s.</summary>
    public const string Durable = "PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;";

    private readonly string _commandText;

    /// <param name="extra">More pragmas for this service's connections, appended after <see cref="Durable"/>.</param>
    public SqlitePragmas(string extra = "") => _commandText = Durable + extra;

    /// <summary>The durable settings alone.</summary>
    public static SqlitePragmas Default { get; } = new();

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    /// <summary>Switches the database to write-ahead logging (after migrating it; the mode is kept in the file).</summary>
    public static Task EnableWalAsync(DbContext db, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        return db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
    }

    private void Apply(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = _commandText;
        command.ExecuteNonQuery();
    }
}
