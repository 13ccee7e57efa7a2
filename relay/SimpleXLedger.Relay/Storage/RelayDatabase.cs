using System.Reflection;
using Microsoft.Data.Sqlite;

namespace SimpleXLedger.Relay.Storage;

/// <summary>
/// The relay's SQLite file: opening it with the durability pragmas (WAL, synchronous=FULL) and
/// applying the checked-in migrations (<c>Storage/Migrations/NNNN_name.sql</c>, tracked in <c>user_version</c>).
/// </summary>
public static class RelayDatabase
{
    public const string FileName = "relay.db";

    public static SqliteConnection Open(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, FileName);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        connection.Open();
        Execute(connection, "PRAGMA journal_mode=WAL;");
        // FULL: a commit is on disk (WAL fsynced) before it returns — a send acknowledged is durable.
        Execute(connection, "PRAGMA synchronous=FULL;");
        Execute(connection, "PRAGMA foreign_keys=ON;");
        Execute(connection, "PRAGMA busy_timeout=5000;");
        Migrate(connection);
        return connection;
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public static string Pragma(SqliteConnection connection, string name)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {name};";
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
    }

    private static void Migrate(SqliteConnection connection)
    {
        var current = long.Parse(Pragma(connection, "user_version"), System.Globalization.CultureInfo.InvariantCulture);
        var assembly = typeof(RelayDatabase).Assembly;
        var migrations = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("Migrations.", StringComparison.Ordinal))
            .Select(n => (Name: n, Version: long.Parse(n.AsSpan("Migrations.".Length, 4), System.Globalization.CultureInfo.InvariantCulture)))
            .OrderBy(m => m.Version);
        foreach (var (name, version) in migrations)
        {
            if (version <= current)
            {
                continue;
            }

            using var transaction = connection.BeginTransaction();
            using (var command = connection.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = ReadResource(assembly, name) + $"\nPRAGMA user_version = {version};";
                command.ExecuteNonQuery();
            }

            transaction.Commit();
        }
    }

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"missing migration {name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
