using Microsoft.EntityFrameworkCore;

namespace SimpleXLedger.Clearing.Storage;

/// <summary>
/// The clearing house's database: operators, epochs, per-payee counts, token keys, the spent-set and batches.
/// One model, two providers: <see cref="SqliteClearingDbContext"/> and <see cref="PostgresClearingDbContext"/>,
/// each with its own checked-in migrations. Table and column names are snake_case and spelled out, because
/// the hot path (<see cref="SpentSetSql"/>) writes them in plain SQL that both providers run.
/// </summary>
public abstract class ClearingDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<OperatorRow> Operators => Set<OperatorRow>();

    public DbSet<EpochRow> Epochs => Set<EpochRow>();

    public DbSet<PayeeEpochRow> PayeeEpochs => Set<PayeeEpochRow>();

    public DbSet<TokenKeyRow> TokenKeys => Set<TokenKeyRow>();

    public DbSet<SpentTokenRow> SpentTokens => Set<SpentTokenRow>();

    public DbSet<BatchRow> Batches => Set<BatchRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);

        modelBuilder.Entity<OperatorRow>(e =>
        {
            e.ToTable("operators");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id").ValueGeneratedOnAdd();
            e.Property(x => x.PublicKey).HasColumnName("public_key");
            e.Property(x => x.Payee).HasColumnName("payee").HasMaxLength(42);
            e.Property(x => x.PayeeSignature).HasColumnName("payee_signature");
            e.Property(x => x.RegisteredAt).HasColumnName("registered_at");
            e.HasIndex(x => x.PublicKey).IsUnique();
        });

        modelBuilder.Entity<EpochRow>(e =>
        {
            e.ToTable("epochs", t => t.HasCheckConstraint("ck_epochs_window", "starts_at < ends_at"));
            e.HasKey(x => x.Number);
            e.Property(x => x.Number).HasColumnName("number").ValueGeneratedNever();
            e.Property(x => x.StartsAt).HasColumnName("starts_at");
            e.Property(x => x.EndsAt).HasColumnName("ends_at");
            e.Property(x => x.State).HasColumnName("state");
            e.HasIndex(x => x.State);
        });

        modelBuilder.Entity<PayeeEpochRow>(e =>
        {
            e.ToTable("payee_epochs", t => t.HasCheckConstraint("ck_payee_epochs_accepted", "accepted >= 0"));
            e.HasKey(x => new { x.Payee, x.Epoch });
            e.Property(x => x.Payee).HasColumnName("payee").HasMaxLength(42);
            e.Property(x => x.Epoch).HasColumnName("epoch");
            e.Property(x => x.Accepted).HasColumnName("accepted");
            e.HasIndex(x => x.Epoch);
        });

        modelBuilder.Entity<TokenKeyRow>(e =>
        {
            e.ToTable("token_keys", t => t.HasCheckConstraint("ck_token_keys_accepted", "accepted >= 0"));
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id").ValueGeneratedOnAdd();
            e.Property(x => x.KeyId).HasColumnName("key_id");
            e.Property(x => x.Accepted).HasColumnName("accepted");
            e.Property(x => x.RedeemUntil).HasColumnName("redeem_until");
            e.Property(x => x.Purged).HasColumnName("purged");
            e.HasIndex(x => x.KeyId).IsUnique();
        });

        modelBuilder.Entity<SpentTokenRow>(e =>
        {
            e.ToTable("spent_tokens");
            e.HasKey(x => new { x.KeyNo, x.Nonce });
            e.Property(x => x.KeyNo).HasColumnName("key_no");
            e.Property(x => x.Nonce).HasColumnName("nonce");
            e.Property(x => x.BatchSeq).HasColumnName("batch_seq");
        });

        modelBuilder.Entity<BatchRow>(e =>
        {
            e.ToTable("batches");
            e.HasKey(x => x.Seq);
            e.Property(x => x.Seq).HasColumnName("seq").ValueGeneratedOnAdd();
            e.Property(x => x.BatchId).HasColumnName("batch_id");
            e.Property(x => x.OperatorId).HasColumnName("operator_id");
            e.Property(x => x.RedeemerId).HasColumnName("redeemer_id");
            e.Property(x => x.TokensDigest).HasColumnName("tokens_digest");
            e.Property(x => x.Payee).HasColumnName("payee").HasMaxLength(42);
            e.Property(x => x.Epoch).HasColumnName("epoch");
            e.Property(x => x.TokenCount).HasColumnName("token_count");
            e.Property(x => x.Accepted).HasColumnName("accepted");
            e.Property(x => x.AcceptedInEpoch).HasColumnName("accepted_in_epoch");
            e.Property(x => x.Outcomes).HasColumnName("outcomes");
            e.Property(x => x.RecordedAt).HasColumnName("recorded_at");
            e.HasIndex(x => x.BatchId).IsUnique();
            e.HasIndex(x => new { x.Epoch, x.Payee });
            e.HasOne<OperatorRow>().WithMany().HasForeignKey(x => x.OperatorId).OnDelete(DeleteBehavior.Restrict);
        });
    }
}

/// <summary>The SQLite model (the default, one file in the data directory); migrations under Migrations/Sqlite.</summary>
public sealed class SqliteClearingDbContext(DbContextOptions<SqliteClearingDbContext> options) : ClearingDbContext(options);

/// <summary>The PostgreSQL model; migrations under Migrations/Postgres.</summary>
public sealed class PostgresClearingDbContext(DbContextOptions<PostgresClearingDbContext> options) : ClearingDbContext(options);
