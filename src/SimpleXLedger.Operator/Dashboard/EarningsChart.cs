using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Encodings.Web;
using SimpleXLedger.Operator.Payouts;

namespace SimpleXLedger.Operator.Dashboard;

/// <summary>
/// Earnings per epoch as an inline SVG bar chart (no script, nothing fetched): for each epoch, what the receipts say is
/// owed beside the leaf the clearing house posted, on one linear scale from zero.
/// </summary>
public static class EarningsChart
{
    private const int Width = 720;
    private const int Height = 240;
    private const int Left = 70;
    private const int Bottom = 30;
    private const int Top = 16;

    public static string Render(IReadOnlyList<EpochEarnings> epochs)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg id=\"earnings-chart\" role=\"img\" aria-label=\"Earnings per epoch\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" xmlns=\"http://www.w3.org/2000/svg\">");
        var max = epochs.Select(e => BigInteger.Max(e.Owed, e.Leaf ?? 0)).DefaultIfEmpty(BigInteger.Zero).Max();
        var plot = Height - Bottom - Top;
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Height - Bottom}\" x2=\"{Width - 10}\" y2=\"{Height - Bottom}\" stroke=\"#888\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{Top + 4}\" text-anchor=\"end\" font-size=\"11\">{Encode(max)}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{Height - Bottom}\" text-anchor=\"end\" font-size=\"11\">0</text>");
        if (epochs.Count == 0 || max.IsZero)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"{Height / 2}\" text-anchor=\"middle\" font-size=\"13\">no earnings yet</text></svg>");
            return svg.ToString();
        }

        var slot = (double)(Width - Left - 10) / epochs.Count;
        var bar = Math.Max(2, Math.Min(40, (slot - 8) / 2));
        for (var i = 0; i < epochs.Count; i++)
        {
            var e = epochs[i];
            var x = Left + (i * slot) + ((slot - (2 * bar)) / 2);
            Bar(svg, "bar-owed", "#9aa5b1", x, bar, e.Owed, max, plot, $"epoch {e.Epoch}: owed {e.Owed}", e.Epoch);
            Bar(svg, "bar-leaf", "#2f9e44", x + bar, bar, e.Leaf ?? 0, max, plot, $"epoch {e.Epoch}: leaf {(e.Leaf is { } l ? l.ToString(CultureInfo.InvariantCulture) : "none")}", e.Epoch);
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + bar:0.##}\" y=\"{Height - Bottom + 16}\" text-anchor=\"middle\" font-size=\"11\">{e.Epoch}</text>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Width - 220}\" y=\"4\" width=\"10\" height=\"10\" fill=\"#9aa5b1\"/><text x=\"{Width - 206}\" y=\"13\" font-size=\"11\">owed (receipts)</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Width - 100}\" y=\"4\" width=\"10\" height=\"10\" fill=\"#2f9e44\"/><text x=\"{Width - 86}\" y=\"13\" font-size=\"11\">leaf (posted)</text>");
        svg.Append("</svg>");
        return svg.ToString();
    }

    private static void Bar(StringBuilder svg, string kind, string fill, double x, double width, BigInteger value, BigInteger max, int plot, string title, ulong epoch)
    {
        // Scaled in integers first, so amounts beyond a double's precision still draw right.
        var height = (double)(value * 10_000 / max) / 10_000 * plot;
        var y = Height - Bottom - height;
        svg.Append(CultureInfo.InvariantCulture,
            $"<rect class=\"{kind}\" data-epoch=\"{epoch}\" data-value=\"{value}\" x=\"{x:0.##}\" y=\"{y:0.##}\" width=\"{width:0.##}\" height=\"{height:0.##}\" fill=\"{fill}\"><title>{HtmlEncoder.Default.Encode(title)}</title></rect>");
    }

    private static string Encode(BigInteger value) => value.ToString(CultureInfo.InvariantCulture);
}
