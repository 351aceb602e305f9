package dev.freshet.monitor.internal;

import java.nio.file.Path;

import dev.freshet.monitor.MonitorConfig;

/**
 * The policy settings the engine needs, apart from Kafka's: from the config keys, overridden by the policy file
 * ({@code monitor.policy.file}) when there is one. {@code acting} false makes a read-only engine (a one-shot
 * report): it computes everything but issues no command.
 */
record MonitorSettings(
        String model,
        int rollbackMinSamples,
        double rollbackMargin,
        double rollbackZ,
        boolean rollbackInputShiftGuard,
        int driftReferenceExamples,
        int driftWindowExamples,
        int driftCheckEveryExamples,
        double driftPsiThreshold,
        long retrainCooldownMs,
        int accuracyWindowExamples,
        String positiveLabel,
        long reportWindowMs,
        boolean acting,
        ChangePolicy change) {

    /**
     * Change detection on the error stream (1 wrong, 0 right, per labelled prediction in arrival order).
     *
     * @param detector       {@link #PAGE_HINKLEY}, {@link #ADWIN} or {@link #NONE}
     * @param delta          Page-Hinkley: the rise tolerated as noise; ADWIN: the confidence of a cut
     * @param lambda         Page-Hinkley: the evidence needed for an alarm (unused by ADWIN)
     * @param minExamples    values before the first alarm is possible
     * @param settleExamples after an alarm, labelled predictions the rollback policy gets to blame one version
     *                       before a RETRAIN is ordered: a bad version also raises the error rate, and undoing it
     *                       is cheaper than retraining
     * @param accuracyBelow  a RETRAIN is also ordered when the rolling accuracy over a full window falls below
     *                       this; 0 turns it off
     */
    record ChangePolicy(String detector, double delta, double lambda, int minExamples, int settleExamples,
                        double accuracyBelow) {
        static final String PAGE_HINKLEY = "page-hinkley";
        static final String ADWIN = "adwin";
        static final String NONE = "none";
        static final ChangePolicy OFF = new ChangePolicy(NONE, 0.005, 50, 30, 100, 0);

        /** The defaults of a detector: Page-Hinkley delta 0.005, lambda 50; ADWIN delta 0.002; as in MOA. */
        static ChangePolicy defaults(String detector) {
            return new ChangePolicy(detector, detector.equals(ADWIN) ? 0.002 : 0.005, 50, 30, 100, 0);
        }

        ChangePolicy withAccuracyBelow(double threshold) {
            return new ChangePolicy(detector, delta, lambda, minExamples, settleExamples, threshold);
        }
    }

    /** The settings without the report's and without change detection: as the first version of the monitor. */
    MonitorSettings(String model, int rollbackMinSamples, double rollbackMargin, double rollbackZ,
                    boolean rollbackInputShiftGuard, int driftReferenceExamples, int driftWindowExamples,
                    int driftCheckEveryExamples, double driftPsiThreshold, long retrainCooldownMs,
                    int accuracyWindowExamples) {
        this(model, rollbackMinSamples, rollbackMargin, rollbackZ, rollbackInputShiftGuard, driftReferenceExamples,
            driftWindowExamples, driftCheckEveryExamples, driftPsiThreshold, retrainCooldownMs,
            accuracyWindowExamples, MonitorConfig.POSITIVE_LABEL_DEFAULT, MonitorConfig.REPORT_WINDOW_MS_DEFAULT,
            true, ChangePolicy.OFF);
    }

    MonitorSettings withChange(ChangePolicy policy) {
        return new MonitorSettings(model, rollbackMinSamples, rollbackMargin, rollbackZ, rollbackInputShiftGuard,
            driftReferenceExamples, driftWindowExamples, driftCheckEveryExamples, driftPsiThreshold,
            retrainCooldownMs, accuracyWindowExamples, positiveLabel, reportWindowMs, acting, policy);
    }

    /**
     * @throws org.apache.kafka.common.config.ConfigException if the policy file cannot be read or is invalid
     */
    static MonitorSettings from(MonitorConfig config, boolean acting) {
        MonitorSettings fromKeys = new MonitorSettings(
            config.getString(MonitorConfig.MODEL_NAME_CONFIG),
            config.getInt(MonitorConfig.ROLLBACK_MIN_SAMPLES_CONFIG),
            config.getDouble(MonitorConfig.ROLLBACK_MARGIN_CONFIG),
            config.getDouble(MonitorConfig.ROLLBACK_Z_CONFIG),
            config.getBoolean(MonitorConfig.ROLLBACK_INPUT_SHIFT_GUARD_CONFIG),
            config.getInt(MonitorConfig.DRIFT_REFERENCE_EXAMPLES_CONFIG),
            config.getInt(MonitorConfig.DRIFT_WINDOW_EXAMPLES_CONFIG),
            config.getInt(MonitorConfig.DRIFT_CHECK_EVERY_EXAMPLES_CONFIG),
            config.getDouble(MonitorConfig.DRIFT_PSI_THRESHOLD_CONFIG),
            config.getLong(MonitorConfig.RETRAIN_COOLDOWN_MS_CONFIG),
            config.getInt(MonitorConfig.ACCURACY_WINDOW_EXAMPLES_CONFIG),
            config.getString(MonitorConfig.POSITIVE_LABEL_CONFIG),
            config.getLong(MonitorConfig.REPORT_WINDOW_MS_CONFIG),
            acting,
            ChangePolicy.defaults(config.getString(MonitorConfig.CHANGE_DETECTOR_CONFIG))
                .withAccuracyBelow(config.getDouble(MonitorConfig.RETRAIN_ACCURACY_BELOW_CONFIG)));
        String file = config.getString(MonitorConfig.POLICY_FILE_CONFIG);
        return file.isBlank() ? fromKeys : PolicyFile.apply(Path.of(file), fromKeys);
    }
}
