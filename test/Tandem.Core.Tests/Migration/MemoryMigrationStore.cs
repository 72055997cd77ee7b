using Tandem.Migration;

namespace Tandem.Core.Tests.Migration;

/// <summary>
/// An <see cref="IMigrationStore"/> in memory, with the contract the SQL store keeps: compare-and-swap updates on the
/// version, events newest first, evaluation runs extended while stage and outcome stay the same, samples since a time.
/// </summary>
internal sealed class MemoryMigrationStore : IMigrationStore
{
    private readonly object _lock = new();
    private readonly Dictionary<string, MigrationState> _states = new(StringComparer.Ordinal);
    private readonly List<MigrationEvent> _events = [];
    private readonly List<MigrationEvaluation> _evaluations = [];
    private readonly List<ShadowSample> _samples = [];

    /// <summary>Every event, oldest first.</summary>
    public IReadOnlyList<MigrationEvent> Events
    {
        get
        {
            lock (_lock)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>Makes the next <see cref="TryUpdateAsync"/> lose to another writer, as a second instance would.</summary>
    public bool LoseNextUpdate { get; set; }

    /// <summary>Puts a state in place, as another instance or an earlier run would have left it.</summary>
    public void Put(MigrationState state)
    {
        lock (_lock)
        {
            _states[state.Route] = state;
        }
    }

    public MigrationState? Get(string route)
    {
        lock (_lock)
        {
            return _states.GetValueOrDefault(route);
        }
    }

    public Task<IReadOnlyList<MigrationState>> ListAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<MigrationState>>([.. _states.Values]);
        }
    }

    public Task<(MigrationState State, bool Created)> CreateIfAbsentAsync(MigrationState state, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_states.TryGetValue(state.Route, out var existing))
            {
                return Task.FromResult((existing, false));
            }

            _states[state.Route] = state;
            return Task.FromResult((state, true));
        }
    }

    public Task<bool> TryUpdateAsync(MigrationState state, long expectedVersion, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (LoseNextUpdate)
            {
                LoseNextUpdate = false;
                var current = _states[state.Route];
                _states[state.Route] = current with { Version = current.Version + 1 };
                return Task.FromResult(false);
            }

            if (!_states.TryGetValue(state.Route, out var stored) || stored.Version != expectedVersion)
            {
                return Task.FromResult(false);
            }

            _states[state.Route] = state;
            return Task.FromResult(true);
        }
    }

    public Task AppendEventAsync(MigrationEvent migrationEvent, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _events.Add(migrationEvent with { Id = _events.Count + 1 });
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<MigrationEvent>> EventsAsync(string route, int limit, long? before = null, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<MigrationEvent>>([.. _events.Where(e => e.Route == route && e.Id < (before ?? long.MaxValue)).OrderByDescending(e => e.Id).Take(limit)]);
        }
    }

    public Task RecordEvaluationAsync(MigrationEvaluation evaluation, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var latest = _evaluations.LastOrDefault(e => e.Route == evaluation.Route);
            if (latest is not null && latest.Stage == evaluation.Stage && latest.Outcome == evaluation.Outcome)
            {
                _evaluations[_evaluations.IndexOf(latest)] = latest with { Time = evaluation.Time, Count = latest.Count + 1, Evidence = evaluation.Evidence };
            }
            else
            {
                _evaluations.Add(evaluation with { Id = _evaluations.Count + 1 });
            }
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<MigrationEvaluation>> EvaluationsAsync(string route, int limit, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<MigrationEvaluation>>([.. _evaluations.Where(e => e.Route == route).Reverse().Take(limit)]);
        }
    }

    public Task AddSamplesAsync(IReadOnlyList<ShadowSample> samples, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _samples.AddRange(samples);
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ShadowSample>> SamplesAsync(string route, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<ShadowSample>>([.. _samples.Where(s => s.Route == route && s.Time >= since)]);
        }
    }
}
