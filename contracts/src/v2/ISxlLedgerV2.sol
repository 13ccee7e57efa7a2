// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice What the epoch judge and the key registry read from the ledger that called them.
interface ISxlLedgerV2View {
    function keyRegistry() external view returns (address);
    function feeRecipient() external view returns (address);
    function feePerCredit() external view returns (uint256);
    function issuer() external view returns (address);
    function governance() external view returns (address);
    function creditsFunded() external view returns (uint64);
}

/// @notice The key registry as the ledger and the judge use it.
interface ISxlKeyRegistryV2 {
    function indexOf(bytes32 keyId) external view returns (uint256 indexPlusOne);
    function keyMaterial(uint256 keyIndex) external view returns (bytes32 keyId, bytes32 challengeDigest, bytes memory modulus);
    function keyWindows(uint256 keyIndex)
        external
        view
        returns (uint64 usableFrom, uint64 issueUntil, uint64 redeemUntil, uint64 revokedAt, uint64 issued, uint64 counted);
    function countAll(bytes calldata keyCounts, uint64 epochStart, uint64 epochEnd) external returns (uint256 sum);
    function uncountAll(bytes calldata keyCounts) external;
}

/// @notice The proofs' verdict: the epoch (and, for a duplicate across epochs, the other epoch) whose
///         posted commitment the evidence was checked against. The ledger freezes only if that commitment
///         is the one standing.
interface ISxlEpochJudge {
    struct Verdict {
        uint64 epoch;
        bytes32 commitment;
        uint64 otherEpoch; // 0 unless the fraud spans two epochs
        bytes32 otherCommitment;
        bytes keyCounts; // of `epoch`: what a freeze gives back to the key registry
        bytes otherKeyCounts;
    }
}

/// @title ISxlLedgerV2: events and errors of the v2 ledger (docs/ledger-v2.md)
interface ISxlLedgerV2 {
    enum Tree {
        Token,
        Payout
    }

    /// @notice Every header field, so anyone can rebuild the header (and challenge withheld data) from the chain alone.
    event EpochPosted(
        uint64 indexed epoch,
        uint8 round,
        bytes32 commitment,
        bytes32 tokenRoot,
        uint32 n,
        uint32 r,
        bytes32 payoutRoot,
        uint32 m,
        uint256 total,
        uint256 epochRate,
        bytes keyCounts
    );
    event EpochFrozen(uint64 indexed epoch, uint8 round, address indexed prover, uint256 returned, uint256 slashed);
    event Claimed(uint64 indexed epoch, uint32 indexed leafIndex, address indexed payee, uint256 amount);
    event DataChallenged(bytes32 indexed id, uint64 indexed epoch, uint8 round, Tree tree, uint32[] positions, address by);
    event DataAnswered(bytes32 indexed id, address indexed by);
    event EpochLate(uint64 indexed epoch, address indexed house, uint256 penalty);
    event BondDeposited(address indexed house, uint256 amount);
    event BondWithdrawn(address indexed house, uint256 amount);
    event Owed(address indexed account, uint256 amount, bytes32 reason);
    event Withdrawn(address indexed account, uint256 amount);
    event BatchFunded(address indexed vendor, bytes32 indexed batchId, bytes32 root, uint64 credits, uint256 amount);
    event VendorRegistered(address indexed vendor);
    event RoleChangeProposed(uint8 indexed role, address indexed account, uint64 executableAt);
    event RoleChanged(uint8 indexed role, address indexed previous, address indexed account);
    event FinalityAdvanced(uint64 finalizedThrough);

    error InvalidParameters(string reason);
    error ZeroAddress();
    error NotGovernance();
    error NotIssuer();
    error NotClearingHouse();
    error NotLedger();
    error NotRegisteredVendor(address account);
    error ZeroCredits();
    error BatchAlreadyFunded(bytes32 batchId);
    error InflowShort(uint256 expected, uint256 received);
    error NothingToWithdraw();
    error BondTooSmall(uint256 bond, uint256 minBond);
    error BondLocked();
    error EpochNotEnded(uint64 epoch, uint64 endsAt);
    error EpochNotPostable(uint64 epoch, uint64 nextEpoch);
    error KeyCountsInvalid();
    error KeyNotUsable(uint256 keyIndex, uint64 epoch);
    error CountExceedsIssued(uint256 keyIndex, uint64 counted, uint64 issued);
    error CountsDoNotSum(uint256 sum, uint32 n);
    error TreeShapeInvalid();
    error NotEnoughBacked(uint64 paying, uint64 backed);
    error EpochNotStanding(uint64 epoch);
    error CommitmentMismatch(uint64 epoch);
    error ChallengeWindowClosed(uint64 epoch);
    error NotFinal(uint64 epoch);
    error AlreadyClaimed(uint64 epoch, uint32 leafIndex);
    error InvalidProof();
    error NothingToClaim();
    error NotFraud();
    error NotLate(uint64 epoch);
    error LateAlreadyCharged(uint64 epoch, uint8 round);
    error TooManyPositions();
    error PositionNotInTree(uint32 position, uint32 leaves);
    error TooManyChallenges(uint64 epoch);
    error UnknownChallenge(bytes32 id);
    error AnswerWindowOpen(bytes32 id, uint64 answerBy);
    error AnswerWindowClosed(bytes32 id);
    error AnswerMismatch(bytes32 id);
    error NoRoleChangePending(uint8 role);
    error RoleChangeNotReady(uint8 role, uint64 executableAt);
    error UnknownKey(bytes32 keyId);
    error SpkiNotTemplate();
    error KeyAlreadyAnchored(bytes32 keyId);
    error KeyWindowsInvalid(string reason);
    error TooManyLiveKeys(uint256 live);
    error IssuedDecreased(uint256 keyIndex, uint64 previous, uint64 cumulative);
    error IssuedExceedsFunded(uint64 totalIssued, uint64 creditsFunded);
}
