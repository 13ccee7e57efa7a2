using System.Text.Json;

namespace SimpleXLedger.Watch;

/// <summary>
/// What a watcher has already settled, by posted commitment, so a restart resumes where it stopped and never files
/// the same proof or challenge twice. Written atomically (a temporary file renamed over the old one).
/// </summary>
public sealed class WatchState
{
    private readonly string? _path;

    private WatchState(string? path, Dictionary<string, string> done)
    {
        _path = path;
        Done = done;
    }

    /// <summary>Commitment (hex) → outcome ("verified", "proven", "challenged").</summary>
    public Dictionary<string, string> Done { get; }

    public static WatchState Open(string? path)
    {
        if (path is null || !File.Exists(path))
        {
            return new WatchState(path, new Dictionary<string, string>(StringComparer.Ordinal));
        }

        var done = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path))
            ?? throw new InvalidDataException($"{path} is not a watch state file");
        return new WatchState(path, new Dictionary<string, string>(done, StringComparer.Ordinal));
    }

    public void Record(byte[] commitment, string outcome)
    {
        Done[Convert.ToHexStringLower(commitment)] = outcome;
        if (_path is null)
        {
            return;
        }

        var temporary = _path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(Done));
        File.Move(temporary, _path, overwrite: true);
    }

    public bool IsDone(byte[] commitment) => Done.ContainsKey(Convert.ToHexStringLower(commitment));
}
