namespace SimpleXLedger.Audit;

/// <summary>
/// Maps the wall-clock times the services recorded back onto the scenario's accelerated clock. The audit plays hours
/// of user behaviour in minutes: each simulated moment is played as fast as the network answers, so on the wall clock
/// the gaps between users' actions shrink and stretch with the machine's load. An operator of a real network would see
/// the users' own timing; this gives the adversary that view: a wall-clock time during the playing of the moment set at
/// wall time <c>r</c> to simulated time <c>s</c> becomes <c>s</c> plus the real time elapsed since <c>r</c> (what the
/// requests themselves took), squeezed when the next moment comes sooner, so the order of everything stays.
/// </summary>
public sealed class SimulatedTimeline
{
    private readonly List<(DateTimeOffset Real, DateTimeOffset Simulated)> _anchors = [];
    private readonly Lock _gate = new();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _anchors.Count;
            }
        }
    }

    /// <summary>The scenario's clock was just set to <paramref name="simulated"/>, at wall time <paramref name="real"/>.</summary>
    public void Record(DateTimeOffset real, DateTimeOffset simulated)
    {
        lock (_gate)
        {
            if (_anchors.Count > 0 && real < _anchors[^1].Real)
            {
                throw new ArgumentException("anchors are recorded in wall-clock order", nameof(real));
            }

            _anchors.Add((real, simulated));
        }
    }

    /// <summary>The simulated time of a wall-clock time (unchanged before the first anchor).</summary>
    public DateTimeOffset Map(DateTimeOffset real)
    {
        lock (_gate)
        {
            var lo = 0;
            var hi = _anchors.Count - 1;
            var k = -1;
            while (lo <= hi)
            {
                var mid = (lo + hi) / 2;
                if (_anchors[mid].Real <= real)
                {
                    k = mid;
                    lo = mid + 1;
                }
                else
                {
                    hi = mid - 1;
                }
            }

            if (k < 0)
            {
                return real;
            }

            var (r, sim) = _anchors[k];
            if (k + 1 == _anchors.Count || _anchors[k + 1].Simulated < sim)
            {
                return sim + (real - r);
            }

            // Real time as it passed, unless the next moment comes sooner: then squeezed into the gap, so the order stays.
            var (nextReal, nextSim) = _anchors[k + 1];
            var realGap = (nextReal - r).TotalSeconds;
            var scale = realGap <= 0 ? 0 : Math.Min(1, (nextSim - sim).TotalSeconds / realGap);
            return sim + ((real - r) * scale);
        }
    }
}
