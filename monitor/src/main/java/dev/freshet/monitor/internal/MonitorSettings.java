package dev.freshet.monitor.internal;

import dev.freshet.monitor.MonitorConfig;

/** The policy settings the engine needs, apart from Kafka's. */
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
        int accuracyWindowExamples) {

    static MonitorSettings from(MonitorConfig config) {
        return new MonitorSettings(
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
            config.getInt(MonitorConfig.ACCURACY_WINDOW_EXAMPLES_CONFIG));
    }
}
