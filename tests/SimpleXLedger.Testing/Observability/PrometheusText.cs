using System.Globalization;
using System.Text;

namespace SimpleXLedger.Testing.Observability;

/// <summary>One sample of a scrape: metric name, labels, value.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public bool Has(string label, string value) => Labels.TryGetValue(label, out var v) && v == value;
}

/// <summary>
/// A parser for the Prometheus text exposition format (version 0.0.4), written against the format's specification
/// because NuGet here offers no parser: <c># HELP</c>/<c># TYPE</c> lines, other comments, samples
/// <c>name{label="value",…} value [timestamp]</c> with label values escaped (<c>\\</c>, <c>\"</c>, <c>\n</c>), and the
/// values <c>NaN</c>, <c>+Inf</c>, <c>-Inf</c>. Malformed input throws <see cref="FormatException"/>, so a test that
/// parses a scrape also checks that the service wrote the format.
/// </summary>
public sealed class PrometheusText
{
    private PrometheusText(List<PrometheusSample> samples, Dictionary<string, string> types, Dictionary<string, string> help)
    {
        Samples = samples;
        Types = types;
        Help = help;
    }

    public IReadOnlyList<PrometheusSample> Samples { get; }

    /// <summary>Metric family name to its declared type (counter, gauge, histogram, summary, untyped).</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    public IReadOnlyDictionary<string, string> Help { get; }

    /// <summary>The sum of the samples named <paramref name="name"/> whose labels include all of <paramref name="labels"/> (0 if none).</summary>
    public double Sum(string name, params (string Label, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Has(l.Label, l.Value))).Sum(s => s.Value);

    public bool Contains(string name) => Samples.Any(s => s.Name == name);

    public static PrometheusText Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var samples = new List<PrometheusSample>();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var help = new Dictionary<string, string>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0)
            {
                continue;
            }

            if (line.StartsWith('#'))
            {
                var parts = line.Split(' ', 4, StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 3 && parts[1] == "TYPE")
                {
                    var type = parts.Length == 4 ? parts[3].Trim() : throw Bad(lineNumber, "TYPE without a type");
                    if (type is not ("counter" or "gauge" or "histogram" or "summary" or "untyped"))
                    {
                        throw Bad(lineNumber, $"unknown type '{type}'");
                    }

                    if (!types.TryAdd(RequireName(parts[2], lineNumber), type))
                    {
                        throw Bad(lineNumber, $"a second TYPE for {parts[2]}");
                    }
                }
                else if (parts.Length >= 3 && parts[1] == "HELP")
                {
                    help[RequireName(parts[2], lineNumber)] = parts.Length == 4 ? parts[3] : string.Empty;
                }

                continue;
            }

            samples.Add(ParseSample(line, lineNumber));
        }

        return new PrometheusText(samples, types, help);
    }

    private static PrometheusSample ParseSample(string line, int lineNumber)
    {
        var i = 0;
        while (i < line.Length && IsNameChar(line[i], i == 0))
        {
            i++;
        }

        var name = RequireName(line[..i], lineNumber);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (true)
            {
                SkipSpaces(line, ref i);
                if (i < line.Length && line[i] == '}')
                {
                    i++;
                    break;
                }

                var start = i;
                while (i < line.Length && IsNameChar(line[i], i == start) && line[i] != ':')
                {
                    i++;
                }

                var label = line[start..i];
                if (label.Length == 0 || i >= line.Length || line[i] != '=' || i + 1 >= line.Length || line[i + 1] != '"')
                {
                    throw Bad(lineNumber, "a label is not name=\"value\"");
                }

                i += 2;
                var value = new StringBuilder();
                while (true)
                {
                    if (i >= line.Length)
                    {
                        throw Bad(lineNumber, "an unterminated label value");
                    }

                    var c = line[i++];
                    if (c == '"')
                    {
                        break;
                    }

                    if (c == '\\')
                    {
                        if (i >= line.Length)
                        {
                            throw Bad(lineNumber, "a dangling escape");
                        }

                        value.Append(line[i++] switch
                        {
                            '\\' => '\\',
                            '"' => '"',
                            'n' => '\n',
                            var e => throw Bad(lineNumber, $"an unknown escape \\{e}"),
                        });
                    }
                    else
                    {
                        value.Append(c);
                    }
                }

                if (!labels.TryAdd(label, value.ToString()))
                {
                    throw Bad(lineNumber, $"label {label} twice");
                }

                SkipSpaces(line, ref i);
                if (i < line.Length && line[i] == ',')
                {
                    i++;
                }
                else if (i >= line.Length || line[i] != '}')
                {
                    throw Bad(lineNumber, "labels not separated by commas");
                }
            }
        }

        var rest = line[i..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (rest.Length is < 1 or > 2)
        {
            throw Bad(lineNumber, "a sample needs a value and at most a timestamp");
        }

        if (rest.Length == 2 && !long.TryParse(rest[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
        {
            throw Bad(lineNumber, "the timestamp is not an integer");
        }

        return new PrometheusSample(name, labels, ParseValue(rest[0], lineNumber));
    }

    private static double ParseValue(string text, int lineNumber) => text switch
    {
        "NaN" => double.NaN,
        "+Inf" or "Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw Bad(lineNumber, $"'{text}' is not a value"),
    };

    private static void SkipSpaces(string line, ref int i)
    {
        while (i < line.Length && line[i] is ' ' or '\t')
        {
            i++;
        }
    }

    private static bool IsNameChar(char c, bool first) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_' or ':' || (!first && c is >= '0' and <= '9');

    private static string RequireName(string name, int lineNumber) =>
        name.Length > 0 && name.Select((c, k) => IsNameChar(c, k == 0)).All(ok => ok) ? name : throw Bad(lineNumber, $"'{name}' is not a metric name");

    private static FormatException Bad(int lineNumber, string why) => new($"Prometheus text, line {lineNumber}: {why}");
}
