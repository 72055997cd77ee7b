using System.Collections.Concurrent;

namespace Tandem.Migration;

/// <summary>A process-local <see cref="IMigrationStore"/> (tests and single-instance setups without storage).</summary>
public sealed class InMemoryMigrationStore : IMigrationStore
{
    private readonly ConcurrentDictionary<string, MigrationState> _states = new(StringComparer.Ordinal);
    private readonly List<MigrationEvent> _events = [];
    private readonly List<MigrationEvaluation> _evaluations = [];
    private readonly ConcurrentQueue<ShadowSample> _samples = new();
    private readonly object _lock = new();

    /// <inheritdoc />
    public Task<IReadOnlyList<MigrationState>> ListAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<MigrationState>>([.. _states.Values]);

    /// <inheritdoc />
    public Task<(MigrationState State, bool Created)> CreateIfAbsentAsync(MigrationState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        var created = _states.TryAdd(state.Route, state);
        return Task.FromResult((_states[state.Route], created));
    }

    /// <inheritdoc />
    public Task<bool> TryUpdateAsync(MigrationState state, long expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        lock (_lock)
        {
            if (_states.TryGetValue(state.Route, out var current) && current.Version != expectedVersion)
            {
                return Task.FromResult(false);
            }

            _states[state.Route] = state;
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task AppendEventAsync(MigrationEvent migrationEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(migrationEvent);
        lock (_lock)
        {
            _events.Add(migrationEvent with { Id = _events.Count + 1 });
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<MigrationEvent>> EventsAsync(string route, int limit, long? before = null, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<MigrationEvent>>(
                _events.Where(e => e.Route == route && (before is null || e.Id < before)).Reverse().Take(limit).ToList());
        }
    }

    /// <inheritdoc />
    public Task RecordEvaluationAsync(MigrationEvaluation evaluation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        lock (_lock)
        {
            var latest = _evaluations.FindLastIndex(e => e.Route == evaluation.Route);
            if (latest >= 0 && _evaluations[latest].Stage == evaluation.Stage && _evaluations[latest].Outcome == evaluation.Outcome)
            {
                var run = _evaluations[latest];
                _evaluations[latest] = run with { Time = evaluation.Time, Count = run.Count + 1, Evidence = evaluation.Evidence };
            }
            else
            {
                _evaluations.Add(evaluation with { Id = _evaluations.Count + 1, FirstTime = evaluation.Time, Count = 1 });
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<MigrationEvaluation>> EvaluationsAsync(string route, int limit, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<MigrationEvaluation>>(_evaluations.Where(e => e.Route == route).Reverse().Take(limit).ToList());
        }
    }

    /// <inheritdoc />
    public Task AddSamplesAsync(IReadOnlyList<ShadowSample> samples, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(samples);
        foreach (var s in samples)
        {
            _samples.Enqueue(s);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ShadowSample>> SamplesAsync(string route, DateTimeOffset since, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<ShadowSample>>(_samples.Where(s => s.Route == route && s.Time >= since).ToList());
}
