using Xunit;

namespace Tandem.Tests.Common;

/// <summary>
/// The running test's context. Test projects import it with a global <c>using static</c>, so a test writes
/// <c>Ct</c> for the token that xunit cancels when the run is aborted or the test times out.
/// </summary>
public static class TestRun
{
    /// <summary>The current test's cancellation token.</summary>
    public static CancellationToken Ct => TestContext.Current.CancellationToken;
}
