using BenchmarkDotNet.Attributes;
using Tandem.Privacy;

namespace Tandem.Benchmarks;

/// <summary>
/// Personal-data detection (a route's <c>pii</c> rule, on every request of the route) and masking
/// (<c>capture: redacted</c>, once per captured prompt and answer) over a ~1 KB prompt without personal data (the
/// common case) and the same prompt with an e-mail address, a phone number, a card number and an IBAN in it.
/// </summary>
[MemoryDiagnoser]
public class PersonalDataBenchmarks
{
    private const string Clean =
        "I am planning the release of version 2.4.1 of our billing service on 2024-05-01 at 10:30. " +
        "The migration touches 3 tables and about 12,500 rows per tenant; we have 48 tenants and 7 regions. " +
        "Please write a short checklist for the on-call engineer: what to verify before the deploy, which dashboards " +
        "to watch during the first 15 minutes, and when to roll back. Keep it under 200 words, use plain language, " +
        "and mention that the previous release (2.3.9) had a slow query on the invoices table that took 1.8 seconds " +
        "at the 99th percentile. Also suggest two alerts we could add, with thresholds, and a one-line summary for " +
        "the status page. The team works in the Berlin office from 9 to 17 and the service handles roughly 400 " +
        "requests per second at peak, mostly from the mobile app (build 5812) and the partner API. Thank you!";

    private const string Personal =
        "I am planning the release of version 2.4.1 of our billing service on 2024-05-01 at 10:30. " +
        "The customer jane.doe+billing@example.co.uk reported that her card 4111 1111 1111 1111 was charged twice; " +
        "she asked us to refund to IBAN GB82 WEST 1234 5698 7654 32 instead and to call her on +44 20 7946 0958. " +
        "Please write a short reply that apologises, explains that the duplicate charge came from a retry in our " +
        "payment worker, and confirms the refund within 5 working days. Keep it under 200 words, use plain " +
        "language, and mention the ticket number 58120 so she can refer to it. The team works in the Berlin office " +
        "from 9 to 17 and handles roughly 400 requests per second at peak. Thank you!";

    private readonly PersonalDataDetector _detector = PersonalDataDetector.Default;
    private readonly PersonalDataKindSet _any = PersonalDataDetector.Default.KindsOf([PersonalDataDetector.Any]);

    /// <summary>Which prompt.</summary>
    [Params("clean", "personal")]
    public string Text { get; set; } = "clean";

    private string Input => Text == "clean" ? Clean : Personal;

    /// <summary>A <c>pii: [any]</c> rule's check.</summary>
    [Benchmark]
    public bool Detect() => _detector.ContainsAny(Input, _any);

    /// <summary><c>capture: redacted</c>.</summary>
    [Benchmark]
    public string Mask() => _detector.Mask(Input);
}
