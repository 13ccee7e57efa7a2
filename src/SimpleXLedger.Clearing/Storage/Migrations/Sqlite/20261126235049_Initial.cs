using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SimpleXLedger.Clearing.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "epochs",
                columns: table => new
                {
                    number = table.Column<long>(type: "INTEGER", nullable: false),
                    starts_at = table.Column<long>(type: "INTEGER", nullable: false),
                    ends_at = table.Column<long>(type: "INTEGER", nullable: false),
                    state = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_epochs", x => x.number);
                    table.CheckConstraint("ck_epochs_window", "starts_at < ends_at");
                });

            migrationBuilder.CreateTable(
                name: "operators",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    public_key = table.Column<byte[]>(type: "BLOB", nullable: false),
                    payee = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    payee_signature = table.Column<byte[]>(type: "BLOB", nullable: false),
                    registered_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_operators", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "payee_epochs",
                columns: table => new
                {
                    payee = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    epoch = table.Column<long>(type: "INTEGER", nullable: false),
                    accepted = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_payee_epochs", x => new { x.payee, x.epoch });
                    table.CheckConstraint("ck_payee_epochs_accepted", "accepted >= 0");
                });

            // Edited by hand: the spent-set is a WITHOUT ROWID table, so its primary key (key_no, nonce) is the
            // table itself, one B-tree to write per nonce instead of two. EF Core cannot say this; the model is unchanged.
            migrationBuilder.Sql(
                "CREATE TABLE \"spent_tokens\" (" +
                "\"key_no\" INTEGER NOT NULL, \"nonce\" BLOB NOT NULL, \"batch_seq\" INTEGER NOT NULL, " +
                "CONSTRAINT \"PK_spent_tokens\" PRIMARY KEY (\"key_no\", \"nonce\")) WITHOUT ROWID;");

            migrationBuilder.CreateTable(
                name: "token_keys",
                columns: table => new
                {
                    id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    key_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    accepted = table.Column<long>(type: "INTEGER", nullable: false),
                    redeem_until = table.Column<long>(type: "INTEGER", nullable: false),
                    purged = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_token_keys", x => x.id);
                    table.CheckConstraint("ck_token_keys_accepted", "accepted >= 0");
                });

            migrationBuilder.CreateTable(
                name: "batches",
                columns: table => new
                {
                    seq = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    batch_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    operator_id = table.Column<long>(type: "INTEGER", nullable: false),
                    redeemer_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    tokens_digest = table.Column<byte[]>(type: "BLOB", nullable: false),
                    payee = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    epoch = table.Column<long>(type: "INTEGER", nullable: false),
                    token_count = table.Column<int>(type: "INTEGER", nullable: false),
                    accepted = table.Column<int>(type: "INTEGER", nullable: false),
                    accepted_in_epoch = table.Column<long>(type: "INTEGER", nullable: false),
                    outcomes = table.Column<byte[]>(type: "BLOB", nullable: false),
                    recorded_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_batches", x => x.seq);
                    table.ForeignKey(
                        name: "FK_batches_operators_operator_id",
                        column: x => x.operator_id,
                        principalTable: "operators",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_batches_batch_id",
                table: "batches",
                column: "batch_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_batches_epoch_payee",
                table: "batches",
                columns: new[] { "epoch", "payee" });

            migrationBuilder.CreateIndex(
                name: "IX_batches_operator_id",
                table: "batches",
                column: "operator_id");

            migrationBuilder.CreateIndex(
                name: "IX_epochs_state",
                table: "epochs",
                column: "state");

            migrationBuilder.CreateIndex(
                name: "IX_operators_public_key",
                table: "operators",
                column: "public_key",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_payee_epochs_epoch",
                table: "payee_epochs",
                column: "epoch");

            migrationBuilder.CreateIndex(
                name: "IX_token_keys_key_id",
                table: "token_keys",
                column: "key_id",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "batches");

            migrationBuilder.DropTable(
                name: "epochs");

            migrationBuilder.DropTable(
                name: "payee_epochs");

            migrationBuilder.DropTable(
                name: "spent_tokens");

            migrationBuilder.DropTable(
                name: "token_keys");

            migrationBuilder.DropTable(
                name: "operators");
        }
    }
}
