package dev.freshet.featurestore.internal.view;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import dev.freshet.contracts.DefinitionProblems;
import dev.freshet.contracts.DefinitionReader;
import dev.freshet.featurestore.FeatureView;
import dev.freshet.featurestore.FeatureView.Aggregation;
import dev.freshet.featurestore.FeatureView.Field;
import dev.freshet.featurestore.FeatureView.FieldType;
import dev.freshet.featurestore.FeatureView.LabelFeature;
import dev.freshet.featurestore.FeatureView.Transform;

/**
 * Reads one view (a mapping with name, entity, event_time, fields, ...), adding a problem per mistake at its path
 * within the view; the sections with rules of their own are read by {@link AggregationReader} and
 * {@link TransformReader}.
 */
final class ViewReader {
    private static final List<String> VIEW_FIELDS = List.of("aggregations", "description", "entity", "event_time",
        "fields", "grace", "label", "name", "request_id", "transforms", "version");
    private static final List<String> FIELD_FIELDS = List.of("name", "optional", "path", "role", "type");
    private static final List<String> ROLES = List.of("feature", "input");
    private static final List<String> LABEL_FIELDS = List.of("name");

    private final DefinitionProblems problems;
    private final DefinitionReader reader;
    private final ViewSyntax syntax;

    /** A reader adding the view's problems, at paths within the view, to {@code problems}. */
    ViewReader(DefinitionProblems problems) {
        this.problems = problems;
        this.reader = new DefinitionReader(problems);
        this.syntax = new ViewSyntax(reader);
    }

    /** The view, or null when it has any problem. */
    FeatureView view(JsonNode root) {
        reader.allowOnly(root, "", VIEW_FIELDS);
        String name = syntax.name(root, "name", "");
        int version = version(root.get("version"));
        String entity = syntax.fieldPath(root, "entity");
        String eventTime = syntax.fieldPath(root, "event_time");
        Duration grace = Duration.ZERO;
        if (root.hasNonNull("grace")) {
            grace = syntax.duration(root.get("grace"), "grace", true);
        }
        String requestId = root.hasNonNull("request_id") ? syntax.fieldPath(root, "request_id") : null;
        List<Field> fields = fields(root.get("fields"));
        List<Aggregation> aggregations = new AggregationReader(syntax).aggregations(root.get("aggregations"), fields);
        List<Transform> transforms = new TransformReader(syntax).transforms(root.get("transforms"), fields);
        LabelFeature label = label(root.get("label"));
        checkUniqueNames(fields, aggregations, transforms, label);
        checkInputsRead(fields, aggregations, transforms);
        if (!problems.isEmpty()) {
            return null;
        }
        FeatureView view = new FeatureView(name, version, entity, eventTime, grace, fields, aggregations, transforms,
            label, requestId);
        ViewCost.check(view, problems);
        return problems.isEmpty() ? view : null;
    }

    private int version(JsonNode node) {
        if (node == null || node.isNull()) {
            return 1;
        }
        if (!node.canConvertToInt() || !node.isIntegralNumber() || node.intValue() < 1) {
            reader.problem("version", "'" + node.asText() + "' is not a positive whole number");
            return 1;
        }
        return node.intValue();
    }

    private List<Field> fields(JsonNode node) {
        List<Field> fields = new ArrayList<>();
        if (node == null || node.isNull()) {
            return fields;
        }
        if (!node.isArray()) {
            reader.problem("fields", "expected a list of {name, type} entries");
            return fields;
        }
        for (int i = 0; i < node.size(); i++) {
            String at = DefinitionReader.element("fields", i);
            JsonNode entry = node.get(i);
            if (!entry.isObject()) {
                reader.problem(at, "expected a mapping such as {name: amount, type: number}");
                continue;
            }
            reader.allowOnly(entry, at, FIELD_FIELDS);
            String name = syntax.name(entry, "name", at);
            String path = entry.hasNonNull("path") ? syntax.optionalText(entry, "path", at) : name;
            FieldType type = syntax.enumValue(entry, "type", at, FieldType.class);
            // A missing value is common in real data (a sensor gap, an unanswered question): by default it leaves the
            // field's features absent rather than losing the whole event.
            Boolean optional = entry.has("optional") ? reader.bool(entry.get("optional"), at + ".optional") : Boolean.TRUE;
            String role = entry.hasNonNull("role") ? reader.oneOf(entry.get("role"), at + ".role", ROLES) : "feature";
            if (name != null && path != null && type != null && optional != null && role != null) {
                fields.add(new Field(name, path, type, optional, role.equals("input")));
            }
        }
        return fields;
    }

    private LabelFeature label(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            reader.problem("label", "expected a mapping such as {name: last_label}");
            return null;
        }
        reader.allowOnly(node, "label", LABEL_FIELDS);
        String name = syntax.name(node, "name", "label");
        return name == null ? null : new LabelFeature(name);
    }

    private void checkUniqueNames(List<Field> fields, List<Aggregation> aggregations, List<Transform> transforms,
            LabelFeature label) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < fields.size(); i++) {
            unique(seen, fields.get(i).name(), DefinitionReader.element("fields", i) + ".name");
        }
        for (int i = 0; i < aggregations.size(); i++) {
            unique(seen, aggregations.get(i).name(), DefinitionReader.element("aggregations", i) + ".name");
        }
        for (int i = 0; i < transforms.size(); i++) {
            unique(seen, transforms.get(i).name(), DefinitionReader.element("transforms", i) + ".name");
        }
        if (label != null) {
            unique(seen, label.name(), "label.name");
        }
    }

    /** An input-only field that nothing reads would be read from every event for nothing: surely a mistake. */
    private void checkInputsRead(List<Field> fields, List<Aggregation> aggregations, List<Transform> transforms) {
        Set<String> read = new HashSet<>();
        transforms.forEach(t -> read.add(t.field()));
        aggregations.stream().filter(a -> a.field() != null).forEach(a -> read.add(a.field()));
        for (int i = 0; i < fields.size(); i++) {
            Field field = fields.get(i);
            if (field.inputOnly() && !read.contains(field.name())) {
                reader.problem(DefinitionReader.element("fields", i) + ".role", "'" + field.name() + "' is an input "
                    + "(role: input) but no transform or aggregation reads it; read it in one, or drop the role to "
                    + "make it a feature");
            }
        }
    }

    private void unique(Set<String> seen, String name, String path) {
        if (!seen.add(name)) {
            reader.problem(path, "duplicate feature name '" + name + "'");
        }
    }
}
