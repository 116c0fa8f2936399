// pm2 process file:  pm2 start ecosystem.config.js --only avax
// Each app runs main.py with the project's venv Python, unbuffered, restarting
// with exponential backoff after a failure (exit 1). Exit 78 (bad config or
// credentials) and 2 (bad command line) stop the app instead of looping.
const path = require("path");

const root = __dirname;
const python = path.join(root, ".venv", "bin", "python3");
// Extra main.py arguments for every app, e.g. a trial against the simulator:
//   MM_EXTRA_ARGS="--sim" pm2 start ecosystem.config.js --only avax
const extraArgs = (process.env.MM_EXTRA_ARGS || "").split(/\s+/).filter(Boolean);

function app(market) {
  const name = market.toLowerCase();
  return {
    name,
    cwd: root,
    script: path.join(root, "main.py"),
    args: [market, ...extraArgs],
    interpreter: python,
    interpreter_args: "-u",
    env: { PYTHONUNBUFFERED: "1" },
    autorestart: true,
    exp_backoff_restart_delay: 1000,   // 1 s, doubling up to pm2's 15 s ceiling; reset after a stable run
    stop_exit_codes: [2, 78],
    kill_signal: "SIGTERM",
    kill_timeout: 30000,               // time for a clean stop: cancel quotes, finish hedges, write the summary
    out_file: path.join(root, "logs", `pm2-${name}.out.log`),
    error_file: path.join(root, "logs", `pm2-${name}.err.log`),
    merge_logs: true,
    time: true,
  };
}

module.exports = { apps: ["AVAX", "ETH", "SOL"].map(app) };
