// One numeric parameter. While the field has focus it shows what the user
// types; otherwise it shows the store's value, so a remote edit appears at
// once. A valid number is applied on every keystroke, as one key.
import { useState } from 'react';

export default function ParameterField({ name, spec, value, onCommit }) {
  const [draft, setDraft] = useState(null); // null: not editing

  const onChange = (event) => {
    const text = event.target.value;
    setDraft(text);
    const number = Number(text);
    if (text.trim() === '' || !Number.isFinite(number)) return;
    if (spec.min !== undefined && number < spec.min) return;
    if (spec.max !== undefined && number > spec.max) return;
    if (number !== value) onCommit(name, number);
  };

  return (
    <label className="field parameter-field">
      <span>{name}</span>
      <input
        type="number"
        data-param={name}
        step={spec.step ?? 'any'}
        min={spec.min}
        max={spec.max}
        value={draft ?? String(value)}
        onFocus={() => setDraft(String(value))}
        onBlur={() => setDraft(null)}
        onChange={onChange}
      />
    </label>
  );
}
