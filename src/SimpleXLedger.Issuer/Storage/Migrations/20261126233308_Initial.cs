using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SimpleXLedger.Issuer.Storage.Migrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "redemptions",
                columns: table => new
                {
                    RequestId = table.Column<byte[]>(type: "BLOB", nullable: false),
                    CardHash = table.Column<byte[]>(type: "BLOB", nullable: false),
                    BatchDigest = table.Column<byte[]>(type: "BLOB", nullable: false),
                    KeyId = table.Column<string>(type: "TEXT", nullable: false),
                    Count = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_redemptions", x => x.RequestId);
                });

            migrationBuilder.CreateTable(
                name: "settings",
                columns: table => new
                {
                    Name = table.Column<string>(type: "TEXT", nullable: false),
                    Value = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_settings", x => x.Name);
                });

            migrationBuilder.CreateTable(
                name: "token_keys",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", nullable: false),
                    Spki = table.Column<byte[]>(type: "BLOB", nullable: false),
                    UsableFrom = table.Column<long>(type: "INTEGER", nullable: false),
                    IssueUntil = table.Column<long>(type: "INTEGER", nullable: false),
                    RedeemUntil = table.Column<long>(type: "INTEGER", nullable: false),
                    Anchoring = table.Column<int>(type: "INTEGER", nullable: false),
                    Issued = table.Column<long>(type: "INTEGER", nullable: false),
                    AnchoredIssued = table.Column<long>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Encrypted = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_token_keys", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "vendors",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_vendors", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "batches",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", nullable: false),
                    VendorId = table.Column<string>(type: "TEXT", nullable: false),
                    Root = table.Column<string>(type: "TEXT", nullable: false),
                    TotalCredits = table.Column<long>(type: "INTEGER", nullable: false),
                    CardCount = table.Column<int>(type: "INTEGER", nullable: false),
                    Origin = table.Column<int>(type: "INTEGER", nullable: false),
                    ImportedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    FundedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_batches", x => x.Id);
                    table.ForeignKey(
                        name: "FK_batches_vendors_VendorId",
                        column: x => x.VendorId,
                        principalTable: "vendors",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "cards",
                columns: table => new
                {
                    Hash = table.Column<byte[]>(type: "BLOB", nullable: false),
                    VendorId = table.Column<string>(type: "TEXT", nullable: false),
                    BatchId = table.Column<string>(type: "TEXT", nullable: false),
                    Credits = table.Column<long>(type: "INTEGER", nullable: false),
                    Redeemed = table.Column<long>(type: "INTEGER", nullable: false),
                    Funded = table.Column<bool>(type: "INTEGER", nullable: false),
                    Revoked = table.Column<bool>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_cards", x => x.Hash);
                    table.CheckConstraint("ck_cards_redeemed", "\"Redeemed\" >= 0 AND \"Redeemed\" <= \"Credits\"");
                    table.ForeignKey(
                        name: "FK_cards_batches_BatchId",
                        column: x => x.BatchId,
                        principalTable: "batches",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_cards_vendors_VendorId",
                        column: x => x.VendorId,
                        principalTable: "vendors",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_batches_FundedAt",
                table: "batches",
                column: "FundedAt");

            migrationBuilder.CreateIndex(
                name: "IX_batches_VendorId",
                table: "batches",
                column: "VendorId");

            migrationBuilder.CreateIndex(
                name: "IX_cards_BatchId",
                table: "cards",
                column: "BatchId");

            migrationBuilder.CreateIndex(
                name: "IX_cards_VendorId",
                table: "cards",
                column: "VendorId");

            migrationBuilder.CreateIndex(
                name: "IX_redemptions_ExpiresAt",
                table: "redemptions",
                column: "ExpiresAt");

            migrationBuilder.CreateIndex(
                name: "IX_token_keys_UsableFrom",
                table: "token_keys",
                column: "UsableFrom",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "cards");

            migrationBuilder.DropTable(
                name: "redemptions");

            migrationBuilder.DropTable(
                name: "settings");

            migrationBuilder.DropTable(
                name: "token_keys");

            migrationBuilder.DropTable(
                name: "batches");

            migrationBuilder.DropTable(
                name: "vendors");
        }
    }
}
