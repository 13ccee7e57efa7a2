using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SimpleXLedger.Hosting.Pipeline;
using SimpleXLedger.Hosting.Storage;

namespace SimpleXLedger.Clearing.Storage;

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>
/// Where the clearing house keeps its state: SQLite (default; one file, WAL, full sync on commit) or
/// PostgreSQL (a connection string). Both are migrated at start to their checked-in migrations.
/// </summary>
public sealed class ClearingDatabase
{
    public const string SqliteFileName = "clearing.db";

    private ClearingDatabase(DatabaseProvider provider, string connectionString)
    {
        Provider = provider;
        ConnectionString = connectionString;
        Sql = new SpentSetSql(provider);
    }

    public DatabaseProvider Provider { get; }

    public string ConnectionString { get; }

    /// <summary>The hot path's plain SQL for this provider.</summary>
    public SpentSetSql Sql { get; }

    public static ClearingDatabase Sqlite(string path) => new(DatabaseProvider.Sqlite, new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Cache = SqliteCacheMode.Private,
        ForeignKeys = true,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString());

    public static ClearingDatabase Postgres(string connectionString)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);

        // Validates the string here (a clear error at start, not at the first batch).
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return new(DatabaseProvider.Postgres, builder.ConnectionString);
    }

    /// <summary>For <c>--db sqlite|postgres --connection …</c>: SQLite's file lives in the data directory unless a connection string names another.</summary>
    public static ClearingDatabase FromOptions(string provider, string? connection, string dataDirectory) => provider.ToUpperInvariant() switch
    {
        "SQLITE" => connection is null ? Sqlite(Path.Combine(dataDirectory, SqliteFileName)) : new ClearingDatabase(DatabaseProvider.Sqlite, new SqliteConnectionStringBuilder(connection).ToString()),
        "POSTGRES" or "POSTGRESQL" => Postgres(connection ?? throw new ArgumentException("--db postgres needs --connection <connection string>")),
        _ => throw new ArgumentException($"unknown database '{provider}': sqlite or postgres"),
    };

    public void Configure(DbContextOptionsBuilder options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Provider == DatabaseProvider.Sqlite)
        {
            options.UseSqlite(ConnectionString).AddInterceptors(Pragmas);
        }
        else
        {
            options.UseNpgsql(ConnectionString);
        }
    }

    /// <summary>Registers <see cref="ClearingDbContext"/> (scoped) as the provider's context.</summary>
    public void AddTo(IServiceCollection services)
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            services.AddDbContext<ClearingDbContext, SqliteClearingDbContext>(Configure, ServiceLifetime.Scoped, ServiceLifetime.Singleton);
        }
        else
        {
            services.AddDbContext<ClearingDbContext, PostgresClearingDbContext>(Configure, ServiceLifetime.Scoped, ServiceLifetime.Singleton);
        }
    }

    public ClearingDbContext CreateContext()
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            var builder = new DbContextOptionsBuilder<SqliteClearingDbContext>();
            Configure(builder);
            return new SqliteClearingDbContext(builder.Options);
        }
        else
        {
            var builder = new DbContextOptionsBuilder<PostgresClearingDbContext>();
            Configure(builder);
            return new PostgresClearingDbContext(builder.Options);
        }
    }

    /// <summary>Creates or upgrades the database to the checked-in migrations (and switches SQLite to WAL).</summary>
    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var db = CreateContext();
        await db.Database.MigrateAsync(cancellationToken);
        if (Provider == DatabaseProvider.Sqlite)
        {
            await SqlitePragmas.EnableWalAsync(db, cancellationToken);
        }
    }

    /// <summary>
    /// A receipt is only given for a batch whose commit reached the disk. The spent-set's keys are random, so a
    /// batch touches a page per nonce or so: a page cache that holds the index (64 MiB) and checkpoints every
    /// 64 MiB of WAL (not every 4 MiB) keep that from being read and rewritten over and over.
    /// </summary>
    private static readonly SqlitePragmas Pragmas = new(" PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=16384;");

    /// <summary>SQLite: one writer in this process. PostgreSQL: READ COMMITTED with row locks, a deadlock victim or a failed serialisation run again.</summary>
    public TransactionPolicy TransactionPolicy => Provider == DatabaseProvider.Sqlite
        ? TransactionPolicy.Sqlite
        : new TransactionPolicy(SingleWriter: false, IsRetryablePostgres);

    private static bool IsRetryablePostgres(Exception e) => e switch
    {
        PostgresException p => p.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure,
        DbUpdateException { InnerException: { } inner } => IsRetryablePostgres(inner),
        _ => false,
    };
}

/// <summary>For <c>dotnet ef migrations add … --context SqliteClearingDbContext</c> (only the model matters).</summary>
public sealed class DesignTimeSqliteFactory : IDesignTimeDbContextFactory<SqliteClearingDbContext>
{
    public SqliteClearingDbContext CreateDbContext(string[] args) =>
        (SqliteClearingDbContext)ClearingDatabase.Sqlite(Path.Combine(Path.GetTempPath(), "sxl-clearing-design.db")).CreateContext();
}

/// <summary>For <c>dotnet ef migrations add … --context PostgresClearingDbContext</c> (no server is contacted).</summary>
public sealed class DesignTimePostgresFactory : IDesignTimeDbContextFactory<PostgresClearingDbContext>
{
    public PostgresClearingDbContext CreateDbContext(string[] args) =>
        (PostgresClearingDbContext)ClearingDatabase.Postgres("Host=localhost;Database=sxl_clearing_design").CreateContext();
}
