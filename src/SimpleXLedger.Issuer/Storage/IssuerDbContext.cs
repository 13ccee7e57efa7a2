using Microsoft.EntityFrameworkCore;

namespace SimpleXLedger.Issuer.Storage;

/// <summary>The issuer's SQLite database (WAL): vendors, batches, cards by hash, token keys, idempotency records.</summary>
public sealed class IssuerDbContext(DbContextOptions<IssuerDbContext> options) : DbContext(options)
{
    public DbSet<VendorRow> Vendors => Set<VendorRow>();

    public DbSet<BatchRow> Batches => Set<BatchRow>();

    public DbSet<CardRow> Cards => Set<CardRow>();

    public DbSet<TokenKeyRow> TokenKeys => Set<TokenKeyRow>();

    public DbSet<RedemptionRow> Redemptions => Set<RedemptionRow>();

    public DbSet<SettingRow> Settings => Set<SettingRow>();

    public const string VendorsTable = "vendors";
    public const string BatchesTable = "batches";
    public const string CardsTable = "cards";
    public const string TokenKeysTable = "token_keys";
    public const string RedemptionsTable = "redemptions";

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);

        modelBuilder.Entity<VendorRow>(e =>
        {
            e.ToTable(VendorsTable);
            e.HasKey(x => x.Id);
        });

        modelBuilder.Entity<BatchRow>(e =>
        {
            e.ToTable(BatchesTable);
            e.HasKey(x => x.Id);
            e.HasOne<VendorRow>().WithMany().HasForeignKey(x => x.VendorId).OnDelete(DeleteBehavior.Restrict);
            e.HasIndex(x => x.FundedAt);
        });

        modelBuilder.Entity<CardRow>(e =>
        {
            e.ToTable(CardsTable, t => t.HasCheckConstraint("ck_cards_redeemed", "\"Redeemed\" >= 0 AND \"Redeemed\" <= \"Credits\""));
            e.HasKey(x => x.Hash);
            e.HasOne<VendorRow>().WithMany().HasForeignKey(x => x.VendorId).OnDelete(DeleteBehavior.Restrict);
            e.HasOne<BatchRow>().WithMany().HasForeignKey(x => x.BatchId).OnDelete(DeleteBehavior.Restrict);
            e.HasIndex(x => x.BatchId);
        });

        modelBuilder.Entity<TokenKeyRow>(e =>
        {
            e.ToTable(TokenKeysTable);
            e.HasKey(x => x.Id);
            e.HasIndex(x => x.UsableFrom).IsUnique();
        });

        modelBuilder.Entity<RedemptionRow>(e =>
        {
            e.ToTable(RedemptionsTable);
            e.HasKey(x => x.RequestId);
            e.HasIndex(x => x.ExpiresAt);
        });

        modelBuilder.Entity<SettingRow>(e =>
        {
            e.ToTable("settings");
            e.HasKey(x => x.Name);
        });
    }
}
