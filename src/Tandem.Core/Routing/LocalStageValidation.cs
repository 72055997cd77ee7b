using Tandem.Classification;

namespace Tandem.Configuration;

public static partial class ConfigValidator
{
    /// <summary>A route's <c>local</c> stage: a readable classifier file, a threshold in 0–1, a known format.</summary>
    private static void ValidateLocalStage(LocalStageConfig local, string path, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(local.Classifier))
        {
            errors.Add($"{path}.classifier: required (a file written by tandem classifier train)");
        }
        else
        {
            try
            {
                var calibration = IntentEnsembleFile.IsEnsembleModel(local.Classifier) ? IntentEnsembleFile.Load(local.Classifier).Calibration
                    : EncoderIntentModelFile.IsEncoderModel(local.Classifier) ? EncoderIntentModelFile.Load(local.Classifier).Calibration
                    : IntentModelFile.Load(local.Classifier).Calibration;
                if (local.Threshold is null && double.IsPositiveInfinity(calibration.Threshold))
                {
                    errors.Add($"{path}.threshold: required: the classifier reached its target accuracy at no threshold when trained");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                errors.Add($"{path}.classifier: cannot read the classifier: {e.Message}");
            }
        }

        if (local.Name is { } name && (name.Length == 0 || name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))))
        {
            errors.Add($"{path}.name: '{name}' must be non-empty, without spaces");
        }

        if (local.Threshold is double t && !(t is >= 0 and <= 1))
        {
            errors.Add($"{path}.threshold: must be between 0 and 1");
        }

        if (local.Format is not (LocalAnswerFormats.Label or LocalAnswerFormats.Json))
        {
            errors.Add($"{path}.format: unknown format '{local.Format}' (expected 'label' or 'json')");
        }

        if (string.IsNullOrWhiteSpace(local.Field))
        {
            errors.Add($"{path}.field: must not be empty");
        }

        if (!(local.Audit is >= 0 and <= 1))
        {
            errors.Add($"{path}.audit: must be between 0 and 1");
        }
    }
}
