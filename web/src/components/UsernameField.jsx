import { MAX_USERNAME_LENGTH } from '../username.js';

export default function UsernameField({ value, onChange, autoFocus = false }) {
  return (
    <label className="field">
      <span>Your name</span>
      <input
        data-testid="username-input"
        value={value}
        maxLength={MAX_USERNAME_LENGTH}
        autoFocus={autoFocus}
        placeholder="e.g. Alice"
        onChange={(event) => onChange(event.target.value)}
      />
    </label>
  );
}
