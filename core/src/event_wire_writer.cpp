#include "gradvy/event_wire_writer.hpp"

namespace gradvy {

namespace {

StampedEvent::Span append_verbatim(JsonOut& out, std::string_view text) {
  // Ids, enums, tokens and uuids never need escaping, so the span is the raw text.
  StampedEvent::Span span{static_cast<std::uint32_t>(out.size() + 1), static_cast<std::uint32_t>(text.size())};
  append_json_plain_string(out, text);
  return span;
}

bool key_must_go(std::string_view key, const PiiKeyFilter& filter) {
  return filter.should_drop(key) || (might_contain_pii(key) && count_pii(key) > 0);
}

}  // namespace

void EventWireWriter::write_scrubbed(JsonOut& out, std::string_view text, PiiCounts& counts) {
  if (!might_contain_pii(text)) {
    append_json_string(out, text);
    return;
  }
  scratch_.clear();
  counts.redacted += static_cast<std::uint32_t>(scrub_pii(text, scratch_));
  append_json_string(out, scratch_);
}

void EventWireWriter::write_free(JsonOut& out, const JsonDocument& doc, std::uint32_t index,
                                 const PiiKeyFilter& filter, PiiCounts& counts) {
  const JsonNode& node = doc.node(index);
  switch (node.kind) {
    case JsonKind::null_value: out.append("null", 4); return;
    case JsonKind::boolean:
      if (node.boolean) out.append("true", 4);
      else out.append("false", 5);
      return;
    case JsonKind::number: out.append(node.text.data(), node.text.size()); return;
    case JsonKind::string: write_scrubbed(out, node.text, counts); return;
    case JsonKind::array: {
      out.push_back('[');
      bool first = true;
      for (std::uint32_t i = JsonDocument::first_child(index); i < node.end; i = doc.next_sibling(i)) {
        if (!first) out.push_back(',');
        first = false;
        write_free(out, doc, i, filter, counts);
      }
      out.push_back(']');
      return;
    }
    case JsonKind::object: {
      out.push_back('{');
      bool first = true;
      for (std::uint32_t i = JsonDocument::first_child(index); i < node.end; i = doc.next_sibling(i)) {
        const std::string_view key = doc.node(i).key;
        if (key_must_go(key, filter)) {
          ++counts.dropped_keys;
          continue;
        }
        if (!first) out.push_back(',');
        first = false;
        append_json_string(out, key);
        out.push_back(':');
        write_free(out, doc, i, filter, counts);
      }
      out.push_back('}');
      return;
    }
  }
}

void EventWireWriter::write_ctx(const JsonDocument& ctx, std::uint32_t ctx_index, JsonOut& out, PiiCounts& counts) {
  const std::size_t rollback = out.size();
  out.append(",\"ctx\":{", 8);
  bool first = true;
  const JsonNode& object = ctx.node(ctx_index);
  for (std::uint32_t i = JsonDocument::first_child(ctx_index); i < object.end; i = ctx.next_sibling(i)) {
    const JsonNode& node = ctx.node(i);
    if (node.text.empty()) continue;  // referrer "" means none
    if (!first) out.push_back(',');
    first = false;
    append_json_key(out, node.key);
    if (node.key == "locale") append_json_plain_string(out, node.text);
    else write_scrubbed(out, node.text, counts);
  }
  if (first) out.truncate(rollback);
  else out.push_back('}');
}

void EventWireWriter::write(const WireEnvelope& envelope, EventType type, const JsonDocument& props,
                            std::uint32_t props_index, const PropsLayout& layout, std::string_view ctx_member,
                            std::uint32_t ctx_redacted, const PiiKeyFilter& filter, JsonOut& out,
                            StampedEvent* event) {
  out.clear();
  PiiCounts counts;

  out.append("{\"id\":", 6);
  event->id_ = append_verbatim(out, envelope.id);
  out.append(",\"type\":", 8);
  event->type_name_ = append_verbatim(out, envelope.type_name);
  out.append(",\"ts\":", 6);
  append_json_int(out, envelope.ts);
  out.append(",\"seq\":", 7);
  append_json_uint(out, envelope.seq);
  out.append(",\"session_id\":", 14);
  event->session_id_ = append_verbatim(out, envelope.session_id);
  if (!envelope.user_id.empty()) {
    out.append(",\"user_id\":", 11);
    event->user_id_ = append_verbatim(out, envelope.user_id);
  }
  out.append(",\"purpose\":", 11);
  append_json_plain_string(out, to_string(envelope.purpose));
  out.append(",\"props\":", 9);

  if (type == EventType::custom) {
    write_free(out, props, props_index, filter, counts);
  } else {
    const JsonNode& object = props.node(props_index);
    out.push_back('{');
    int member = 0;
    for (std::uint32_t i = JsonDocument::first_child(props_index); i < object.end;
         i = props.next_sibling(i), ++member) {
      const JsonNode& node = props.node(i);
      if (member != 0) out.push_back(',');
      append_json_key(out, node.key);  // schema names: plain ASCII
      const PropField field = layout.member_field[member];  // validated: member < kMaxBuiltInProps
      switch (field) {
        case PropField::query:
          write_scrubbed(out, node.text, counts);
          if (might_contain_pii(node.text)) {
            event->query_ = scratch_;
          } else {
            event->query_.assign(node.text.data(), node.text.size());
          }
          break;
        case PropField::reason:
        case PropField::page_url: write_scrubbed(out, node.text, counts); break;
        case PropField::filters: write_free(out, props, i, filter, counts); break;
        case PropField::item_ids: {
          out.push_back('[');
          event->item_ids_.reserve(node.count);
          for (std::uint32_t e = JsonDocument::first_child(i); e < node.end; e = props.next_sibling(e)) {
            if (e != i + 1) out.push_back(',');
            event->item_ids_.push_back(append_verbatim(out, props.node(e).text));
          }
          out.push_back(']');
          break;
        }
        case PropField::course_id: event->course_id_ = append_verbatim(out, node.text); break;
        case PropField::item_id: event->item_id_ = append_verbatim(out, node.text); break;
        case PropField::content_type: event->content_type_ = append_verbatim(out, node.text); break;
        case PropField::experiment: event->experiment_ = append_verbatim(out, node.text); break;
        case PropField::variant: event->variant_ = append_verbatim(out, node.text); break;
        case PropField::algorithm_version: event->algorithm_version_ = append_verbatim(out, node.text); break;
        case PropField::element_id: append_verbatim(out, node.text); break;
        case PropField::action:
          event->facts_.action = parse_course_action(node.text);
          append_verbatim(out, node.text);
          break;
        case PropField::feedback:
          event->facts_.feedback = parse_feedback(node.text);
          append_verbatim(out, node.text);
          break;
        case PropField::duration:
        case PropField::completion_rate:
        case PropField::score:
        case PropField::total_questions:
        case PropField::time_taken:
        case PropField::results_count: {
          out.append(node.text.data(), node.text.size());
          EventFacts& facts = event->facts_;
          if (field == PropField::duration) facts.duration_s = node.number;
          if (field == PropField::completion_rate) facts.completion_rate = node.number;
          if (field == PropField::score) facts.score = node.number;
          if (field == PropField::total_questions) facts.total_questions = node.number;
          if (field == PropField::time_taken) facts.time_taken_s = node.number;
          if (field == PropField::results_count) facts.results_count = node.number;
          break;
        }
      }
    }
    out.push_back('}');
  }

  out.append(ctx_member.data(), ctx_member.size());
  counts.redacted += ctx_redacted;
  out.push_back('}');
  event->pii_ = counts;
}

}  // namespace gradvy
