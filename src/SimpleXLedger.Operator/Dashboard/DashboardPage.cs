using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Encodings.Web;
using SimpleXLedger.Operator.Payouts;

namespace SimpleXLedger.Operator.Dashboard;

/// <summary>
/// The dashboard as one server-rendered HTML page: summary, alarms, service health, the earnings chart (inline SVG),
/// every epoch with its state, and the claims paid with their transactions. No script and nothing fetched from
/// elsewhere (the page's Content-Security-Policy forbids both); it reloads itself every 30 seconds.
/// </summary>
public static class DashboardPage
{
    /// <summary>What the page may load: nothing beyond itself, its inline style and inline SVG.</summary>
    public const string ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private const string Style = """
        body{font-family:system-ui,sans-serif;margin:24px;color:#1f2328;background:#fff}
        h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 8px}
        .meta{color:#57606a;font-size:13px}
        dl.summary{display:grid;grid-template-columns:repeat(4,minmax(150px,1fr));gap:12px;margin:16px 0}
        dl.summary div{border:1px solid #d0d7de;border-radius:6px;padding:10px}
        dt{font-size:12px;color:#57606a}dd{margin:4px 0 0;font-size:20px;font-weight:600;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
        table{border-collapse:collapse;font-size:14px}th,td{border-bottom:1px solid #d0d7de;padding:6px 10px;text-align:left}
        td.num{text-align:right;font-variant-numeric:tabular-nums}
        ul#alarms li{color:#cf222e;font-weight:600}.ok{color:#1a7f37}.bad{color:#cf222e;font-weight:600}
        code{font-size:12px}
        """;

    public static string Render(DashboardSnapshot snapshot, DashboardSettings settings)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(settings);
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"30\">");
        h.Append("<title>sxl operator dashboard</title><style>").Append(Style).Append("</style></head><body>");
        h.Append("<h1>Operator dashboard</h1>");
        h.Append("<p class=\"meta\">payee <code id=\"payee\">").Append(E(snapshot.Payee)).Append("</code> · ledger <code>").Append(E(snapshot.Ledger))
            .Append("</code> · chain ").Append(N(snapshot.ChainId)).Append(" · block <span id=\"block\">").Append(N(snapshot.BlockNumber))
            .Append("</span> at ").Append(E(DateTimeOffset.FromUnixTimeSeconds((long)snapshot.BlockTime).ToString("u", CultureInfo.InvariantCulture))).Append("</p>");

        h.Append("<dl class=\"summary\">");
        Summary(h, "receipts-held", "receipts held", N(snapshot.ReceiptsHeld));
        Summary(h, "tokens-accepted", "tokens accepted", N(snapshot.TokensAccepted));
        Summary(h, "total-claimed", "claimed, total", N(snapshot.TotalClaimed));
        Summary(h, "gas-balance", "gas balance (wei)", N(snapshot.GasBalanceWei));
        h.Append("</dl>");

        h.Append("<h2>Alarms</h2>");
        if (snapshot.Alarms.Count == 0)
        {
            h.Append("<p id=\"no-alarms\" class=\"ok\">none</p>");
        }
        else
        {
            h.Append("<ul id=\"alarms\">");
            foreach (var alarm in snapshot.Alarms)
            {
                h.Append("<li>").Append(E(alarm)).Append("</li>");
            }

            h.Append("</ul>");
        }

        h.Append("<h2>Services</h2><table id=\"services\"><tr><th>service</th><th>health</th></tr>");
        if (snapshot.Services.Count == 0)
        {
            h.Append("<tr><td colspan=\"2\">none configured (--clearing, --relay)</td></tr>");
        }

        foreach (var s in snapshot.Services)
        {
            h.Append("<tr data-service=\"").Append(E(s.Name)).Append("\"><td>").Append(E(s.Name)).Append("</td><td class=\"health ")
                .Append(s.Serving ? "ok" : "bad").Append("\">").Append(E(s.Serving ? "serving" : s.Detail)).Append("</td></tr>");
        }

        h.Append("</table>");

        h.Append("<h2>Earnings per epoch</h2>").Append(EarningsChart.Render(snapshot.Epochs));

        h.Append("<h2>Epochs</h2><table id=\"epochs\"><tr><th>epoch</th><th>receipts</th><th>tokens accepted</th><th>owed</th><th>leaf</th><th>state</th><th>detail</th><th>claim</th></tr>");
        foreach (var e in snapshot.Epochs)
        {
            h.Append("<tr data-epoch=\"").Append(N(e.Epoch)).Append("\"><td class=\"num\">").Append(N(e.Epoch))
                .Append("</td><td class=\"num receipts\">").Append(N(e.Receipts))
                .Append("</td><td class=\"num accepted\">").Append(N(e.AcceptedInEpoch))
                .Append("</td><td class=\"num owed\">").Append(N(e.Owed))
                .Append("</td><td class=\"num leaf\">").Append(e.Leaf is { } leaf ? N(leaf) : "-")
                .Append("</td><td class=\"phase ").Append(DashboardSnapshot.NotHonoured(e.State) ? "bad" : "ok").Append("\">").Append(E(DashboardSnapshot.Phase(e.State)))
                .Append("</td><td class=\"state\">").Append(E(e.State.ToString()))
                .Append("</td><td class=\"claim\">");
            if (snapshot.ClaimOf(e.Epoch) is { } claim)
            {
                Transaction(h, claim.TransactionHash, settings);
            }
            else
            {
                h.Append('-');
            }

            h.Append("</td></tr>");
        }

        h.Append("</table>");

        h.Append("<h2>Claims paid</h2><table id=\"claims\"><tr><th>epoch</th><th>amount</th><th>block</th><th>transaction</th></tr>");
        foreach (var c in snapshot.Claims)
        {
            h.Append("<tr data-epoch=\"").Append(N(c.Epoch)).Append("\"><td class=\"num\">").Append(N(c.Epoch))
                .Append("</td><td class=\"num amount\">").Append(N(c.Amount))
                .Append("</td><td class=\"num\">").Append(N(c.BlockNumber)).Append("</td><td class=\"tx\">");
            Transaction(h, c.TransactionHash, settings);
            h.Append("</td></tr>");
        }

        h.Append("</table></body></html>");
        return h.ToString();
    }

    /// <summary>The page shown when the chain cannot be read at all.</summary>
    public static string RenderUnavailable(string why) =>
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"10\"><title>sxl operator dashboard</title></head><body>"
        + "<h1>Operator dashboard</h1><ul id=\"alarms\"><li>" + E(why) + "</li></ul></body></html>";

    private static void Summary(StringBuilder h, string id, string label, string value) =>
        h.Append("<div><dt>").Append(E(label)).Append("</dt><dd id=\"").Append(id).Append("\">").Append(value).Append("</dd></div>");

    private static void Transaction(StringBuilder h, string hash, DashboardSettings settings)
    {
        if (settings.LinkOf(hash) is { } link)
        {
            h.Append("<a href=\"").Append(E(link.AbsoluteUri)).Append("\" rel=\"noreferrer\"><code>").Append(E(hash)).Append("</code></a>");
        }
        else
        {
            h.Append("<code>").Append(E(hash)).Append("</code>");
        }
    }

    private static string E(string text) => HtmlEncoder.Default.Encode(text);

    private static string N(ulong value) => value.ToString(CultureInfo.InvariantCulture);

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string N(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string N(BigInteger value) => value.ToString(CultureInfo.InvariantCulture);
}
