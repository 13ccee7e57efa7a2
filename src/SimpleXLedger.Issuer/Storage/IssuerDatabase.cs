using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using SimpleXLedger.Hosting.Storage;

namespace SimpleXLedger.Issuer.Storage;

/// <summary>Opening the issuer's SQLite file: WAL, full sync on commit (a debit survives power loss), foreign keys.</summary>
public static class IssuerDatabase
{
    public static string ConnectionString(string path) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Cache = SqliteCacheMode.Private,
        ForeignKeys = true,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    public static void Configure(DbContextOptionsBuilder options, string path)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.UseSqlite(ConnectionString(path)).AddInterceptors(SqlitePragmas.Default);
    }

    public static DbContextOptions<IssuerDbContext> Options(string path)
    {
        var builder = new DbContextOptionsBuilder<IssuerDbContext>();
        Configure(builder, path);
        return builder.Options;
    }

    /// <summary>Creates or upgrades the database to the checked-in migrations and switches it to WAL.</summary>
    public static async Task MigrateAsync(string path, CancellationToken cancellationToken = default)
    {
        await using var db = new IssuerDbContext(Options(path));
        await db.Database.MigrateAsync(cancellationToken);
        await SqlitePragmas.EnableWalAsync(db, cancellationToken);
    }
}

/// <summary>For <c>dotnet ef migrations add</c>: a database in a temporary path (only the model matters).</summary>
public sealed class DesignTimeIssuerDbContextFactory : IDesignTimeDbContextFactory<IssuerDbContext>
{
    public IssuerDbContext CreateDbContext(string[] args) =>
        new(IssuerDatabase.Options(Path.Combine(Path.GetTempPath(), "sxl-issuer-design.db")));
}
